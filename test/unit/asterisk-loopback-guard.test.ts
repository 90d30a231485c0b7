import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { assertLoopbackOnly, loopbackViolations } from '../asterisk/loopback-guard';
import { InstancePlan, renderConfig } from '../asterisk/asterisk-config';

/**
 * The real-Asterisk suite (npm run test:asterisk) may send SIP and RTP only to 127.0.0.0/8: the
 * configuration it loads is checked before Asterisk starts. This runs in npm test, without Asterisk.
 */
describe('the loopback guard of the real-Asterisk suite', () => {
  const dialplan = path.resolve(__dirname, '../../dialplan');
  const plan: InstancePlan = {
    root: '/tmp/x', etcDir: '/tmp/x/etc', dataDir: '/tmp/x/data', spoolDir: '/tmp/x/spool', logDir: '/tmp/x/log', runDir: '/tmp/x/run', varLibDir: '/tmp/x/varlib',
    sipPort: 40000, amiPort: 40001, httpPort: 40002, rtpStart: 40010, rtpEnd: 40209, carrierPorts: [40300, 40302], carrierContactPort: 40304, countyPort: 40306,
    ami: { username: 'hotline', password: 'a' }, ari: { username: 'hotline', password: 'b' },
  };
  const shipped = () => Object.fromEntries(fs.readdirSync(dialplan).filter((f) => f.endsWith('.conf')).map((f) => [f, fs.readFileSync(path.join(dialplan, f), 'utf8')]));

  it('given dialplan/ as shipped, then its carrier, county and emergency addresses and the 0.0.0.0 bind are all refused', () => {
    const v = loopbackViolations(shipped());
    const texts = v.map((x) => `${x.file}: ${x.text}`);
    expect(texts).to.include('pjsip.conf: bind=0.0.0.0:5060');
    expect(texts).to.include('pjsip.conf: contact=sip:192.0.2.10:5060');
    expect(texts).to.include('pjsip.conf: match=192.0.2.10');
    expect(texts).to.include('pjsip.conf: contact=sip:12345@198.51.100.11:5060');
    expect(texts).to.include('pjsip.conf: contact=sip:110@203.0.113.10:5060');
    expect(texts).to.include('pjsip.conf: from_domain=hotline.invalid');
    expect(() => assertLoopbackOnly(shipped())).to.throw(/refusing to start Asterisk[\s\S]*192\.0\.2\.10/);
  });

  it('given the configuration the harness renders from dialplan/, then every address is loopback and the ACLs are not mistaken for addresses', () => {
    const files = renderConfig(dialplan, plan);
    expect(loopbackViolations(files)).to.deep.equal([]);
    expect(files['pjsip.conf']).to.contain('bind=127.0.0.1:40000').and.to.contain('match=127.0.0.1:40300,127.0.0.1:40302').and.to.contain('contact=sip:12345@127.0.0.1:40306');
    expect(files['pjsip.conf']).to.contain('bind_rtp_to_media_address=yes');
    expect(files['manager.conf']).to.contain('deny=0.0.0.0/0.0.0.0').and.to.contain('port=40001').and.to.contain('secret=a');
    // the dialplan's logic is loaded unchanged: only Asterisk's spool path moves to the instance's
    const original = fs.readFileSync(path.join(dialplan, 'extensions.conf'), 'utf8');
    expect(files['extensions.conf']).to.equal(original.split('/var/spool/asterisk/').join('/tmp/x/spool/'));
  });

  it('given any other way out of loopback, then it is refused: a host name, another private address, IPv6, a SIP URI in the dialplan', () => {
    const cases: Array<[string, string]> = [
      ['pjsip.conf', '[t]\ntype=aor\ncontact=sip:pbx.example.com:5060'],
      ['pjsip.conf', '[t]\ntype=transport\nbind=10.0.0.5:5060'],
      ['pjsip.conf', '[t]\ntype=transport\nbind=[::]:5060'],
      ['pjsip.conf', '[t]\ntype=endpoint\nmedia_address=192.168.1.2'],
      ['pjsip.conf', '[t]\ntype=endpoint\noutbound_proxy=sip:proxy.example.net\\;lr'],
      ['rtp.conf', '[general]\nstunaddr=stun.l.google.com:19302'],
      ['http.conf', '[general]\nbindaddr=0.0.0.0'],
      ['extensions.conf', '[x]\nexten => 1,1,Dial(PJSIP/carrier/sip:13800138000@8.8.8.8)'],
      ['extensions.conf', '[x]\nexten => 1,1,Dial(PJSIP/carrier/sip:13800138000@gw.example.com:5060)'],
    ];
    for (const [file, content] of cases) {
      expect(loopbackViolations({ [file]: content }), `${file}: ${content}`).to.have.length.greaterThan(0);
    }
    expect(loopbackViolations({ 'pjsip.conf': '[t]\ntype=aor\ncontact=sip:1001@127.0.0.2:5070\n; a comment naming 8.8.8.8' })).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { mkdtempSync, writeFileSync, copyFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import WebSocket from 'ws';
import { startSimulator, Simulator } from '../../src/simulator';
import { RawAmi } from './support/ami-client';
import { until } from '../support/until';
import { evaluate, substitute } from '../../src/simulator/dialplan/expr';
import { matchPattern, parseDialplan, findExtension } from '../../src/simulator/dialplan/parser';

const f = (e: Array<[string, string]>, k: string): string | undefined => e.find(([x]) => x === k)?.[1];
const FIXTURES = join(__dirname, '..', 'fixtures', 'asterisk');

describe('simulator faults, garbage and dialplan', () => {
  let sim: Simulator;
  const clients: RawAmi[] = [];
  afterEach(async () => { for (const c of clients.splice(0)) c.close(); await sim?.stop(); });

  it('given thousands of random frames on AMI and invalid JSON on the ARI websocket, then the simulator still answers', async () => {
    sim = await startSimulator({ timeScale: 0.05 });
    const junk = new RawAmi(sim.amiPort); clients.push(junk);
    let seed = 42;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    for (let i = 0; i < 3000; i++) {
      const len = rnd() % 200;
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = rnd() % 256;
      junk.socket.write(bytes);
      if (i % 7 === 0) junk.send(['Action: Originate', `Channel: ${bytes.toString('latin1').slice(0, 20)}`, 'Async: true']);
      if (i % 11 === 0) junk.send(`Action: ${'X'.repeat(rnd() % 5000)}\r\n\r\n`);
    }
    const ws = new WebSocket(`ws://127.0.0.1:${sim.ariPort}/ari/events?app=fuzz&api_key=hotline:hotline`);
    await new Promise((r) => ws.on('open', r));
    for (let i = 0; i < 1000; i++) ws.send(i % 2 ? '{"type": ' : Buffer.from([rnd() % 256, rnd() % 256]));
    ws.close();
    const good = new RawAmi(sim.amiPort); clients.push(good);
    good.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    good.send(['Action: Ping', 'ActionID: alive']);
    const pong = await until(() => good.messages().find((m) => f(m, 'ActionID') === 'alive'));
    expect(f(pong, 'Ping')).to.equal('Pong');
    const r = await fetch(`http://127.0.0.1:${sim.ariPort}/ari/channels?api_key=hotline:hotline`);
    expect(r.status).to.equal(200);
  });

  it('given a call in progress, when Asterisk restarts, then every channel hangs up, connections drop and the ports listen again', async () => {
    sim = await startSimulator({ timeScale: 0.05 });
    const a = new RawAmi(sim.amiPort); clients.push(a);
    a.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    sim.registerEndpoint('1001');
    const id = await sim.placeInboundCall({ from: '13800138000', to: '12345' });
    await until(() => sim.channels().find((c) => c.id === id)?.bridgeId);
    const port = sim.amiPort;
    await sim.faults.restart();
    expect(a.messages().filter((m) => f(m, 'Event') === 'Hangup').length).to.equal(2);
    await until(() => a.closed);
    expect(sim.channels()).to.have.length(0);
    expect(sim.amiPort).to.equal(port);
    const b = new RawAmi(sim.amiPort); clients.push(b);
    b.send(['Action: Login', 'Username: hotline', 'Secret: hotline', 'ActionID: again']);
    await until(() => b.messages().find((m) => f(m, 'ActionID') === 'again'));
  });

  it('given delayed responses and dropped connections, then replies come late and clients are disconnected', async () => {
    sim = await startSimulator();
    const a = new RawAmi(sim.amiPort); clients.push(a);
    sim.faults.delayResponses(150);
    const t0 = Date.now();
    a.send(['Action: Login', 'Username: hotline', 'Secret: hotline', 'ActionID: slow']);
    await until(() => a.messages().find((m) => f(m, 'ActionID') === 'slow'));
    expect(Date.now() - t0).to.be.at.least(140);
    sim.faults.dropAmiConnections();
    await until(() => a.closed);
  });

  it('given a dialplan with an application the simulator does not know, then the channel is hung up and the error reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-conf-'));
    for (const n of ['queues.conf', 'pjsip.conf']) copyFileSync(join(FIXTURES, n), join(dir, n));
    writeFileSync(join(dir, 'extensions.conf'), '[from-caller]\nexten => 12345,1,Answer()\n same => n,SendFax(x)\n same => n,Wait(10)\n');
    sim = await startSimulator({ confDir: dir });
    const reported: unknown[] = [];
    sim.context.pbx.on('unknownApplication', (e) => reported.push(e));
    const id = await sim.placeInboundCall({ from: '13800138000', to: '12345' });
    await until(() => !sim.channels().some((c) => c.id === id));
    expect(reported).to.have.length(1);
  });

  it('given dialplan expressions, then substitution, IF and patterns behave like Asterisk', () => {
    const scope = { getVar: (n: string) => ({ HOTLINE_QUEUE: '', ROUTE: 'queue', N: '5' } as Record<string, string>)[n], callFunction: (n: string, a: string) => (n === 'IF' ? (a.split('?')[0] === '1' ? a.split('?')[1].split(':')[0] : a.split(':')[1]) : '') };
    expect(substitute('${IF($["${HOTLINE_QUEUE}" = ""]?q-12345:${HOTLINE_QUEUE})}', scope)).to.equal('q-12345');
    expect(substitute('$["${ROUTE}" = "queue"]', scope)).to.equal('1');
    expect(substitute('$[${N} + 2]', scope)).to.equal('7');
    expect(evaluate('5 + 2 * 3')).to.equal('11');
    expect(evaluate('3 > 2 & 1')).to.equal('1');
    expect(matchPattern('_100X', '1002')).to.equal(true);
    expect(matchPattern('_100X', '10021')).to.equal(false);
    expect(matchPattern('_X.', '12345')).to.equal(true);
    const dp = parseDialplan('[a]\nexten => _X.,1,NoOp(any)\nexten => 12345,1,NoOp(exact)\n same => n(lbl),Hangup()\n');
    expect(findExtension(dp, 'a', '12345')!.steps.map((s) => s.label)).to.deep.equal([undefined, 'lbl']);
    expect(findExtension(dp, 'a', '999')!.pattern).to.equal('_X.');
  });
});

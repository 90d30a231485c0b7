import path from 'node:path';
import { expect } from 'chai';
import { RecordingCollector } from '../../src/calls/recordings';
import { silentLogger } from '../../src/logging/logger';
import os from 'node:os';

describe('recording file names from Asterisk (path safety)', () => {
  const spool = path.join(os.tmpdir(), 'spool-x');
  const c = new RecordingCollector(null as never, path.join(os.tmpdir(), 'rec-x'), [{ serverId: 'qy', spoolDir: spool }], silentLogger());
  const table: Array<[string, string | null]> = [
    ['1795.0.wav', path.join(spool, 'monitor', '1795.0.wav')],
    ['/var/spool/asterisk/monitor/hotline-messages/1795.0.wav', path.join(spool, 'monitor', 'hotline-messages', '1795.0.wav')],
    [path.join(spool, 'recording', 'x.wav'), path.join(spool, 'recording', 'x.wav')],
    ['../../etc/passwd', null],
    ['/var/spool/asterisk/../../../etc/shadow', null],
    ['/etc/passwd', null],
    [spool + '-other/evil.wav', null],
    ['a\u0000b.wav', null],
  ];
  for (const [name, expected] of table) {
    it(`given the name ${JSON.stringify(name)}, when resolved, then ${expected ? 'it stays in the spool' : 'it is refused'}`, () => {
      expect(c.sourcePath('qy', name)).to.equal(expected);
    });
  }
  it('given an unknown server, when resolved, then refused', () => {
    expect(c.sourcePath('other', '1.wav')).to.equal(null);
  });

  // One file is one row: the real Asterisk's MixMonitor reports the absolute path below its spool, the
  // spool scan after a restart the same file as /var/spool/asterisk/…; both must give the same key.
  const names: Array<[string, string]> = [
    [path.join(spool, 'monitor', '1795.0.wav'), '/var/spool/asterisk/monitor/1795.0.wav'],
    ['/var/spool/asterisk/monitor/1795.0.wav', '/var/spool/asterisk/monitor/1795.0.wav'],
    [path.join(spool, 'monitor', 'hotline-messages', '1795.0.wav'), '/var/spool/asterisk/monitor/hotline-messages/1795.0.wav'],
    ['hotline-conf/room-operator-3.wav', 'hotline-conf/room-operator-3.wav'],
    [spool + '-other/evil.wav', spool + '-other/evil.wav'],
    [path.join(spool, '..', 'evil.wav'), path.join(spool, '..', 'evil.wav')],
  ];
  for (const [name, key] of names) {
    it(`given the name ${JSON.stringify(name)}, when keyed, then its row is ${JSON.stringify(key)}`, () => {
      expect(c.nameOf('qy', name)).to.equal(key);
    });
  }
  it('given an unknown server, when keyed, then the name is kept', () => {
    expect(c.nameOf('other', path.join(spool, 'monitor', '1.wav'))).to.equal(path.join(spool, 'monitor', '1.wav'));
  });
});

import path from 'node:path';
import { expect } from 'chai';
import { Harness, startHarness } from './support/sim-harness';
import { HubPbxControl } from '../../src/calls/pbx';
import { silentLogger } from '../../src/logging/logger';

const DIALPLAN = path.resolve(__dirname, '..', '..', 'dialplan');

describe('AstDB over AMI without the `command` privilege (dialplan/manager.conf)', () => {
  let h: Harness;
  afterEach(async () => h && (await h.stop()));

  it('given the shipped manager.conf, when the service reads and writes AstDB, then DBPut/DBGet/DBGetTree/DBDel work and the CLI is refused', async () => {
    // given: the simulator enforces the [hotline] user's write= privileges from the project's manager.conf
    h = await startHarness({ confDir: DIALPLAN });
    const ami = h.hub.ami('centre-1');
    // when
    await ami.dbPut('hotline-busy', 'q-12345', '1700000000');
    await ami.dbPut('hotline-busy', 'q-county', '1700000001');
    await ami.dbPut('hotline-busyx', 'q-other', 'not mine');
    // then: a family is listed with DBGetTree, keys relative to the family, no neighbour family
    expect(await ami.dbGetTree('hotline-busy')).to.deep.equal({ 'q-12345': '1700000000', 'q-county': '1700000001' });
    expect(await ami.dbGet('hotline-busy', 'q-12345')).to.equal('1700000000');
    expect(await new HubPbxControl(h.hub, silentLogger()).dbList('centre-1', 'hotline-busy')).to.deep.equal({ 'q-12345': '1700000000', 'q-county': '1700000001' });
    await ami.dbDel('hotline-busy', 'q-12345');
    expect(await ami.dbGetTree('hotline-busy')).to.deep.equal({ 'q-county': '1700000001' });
    await ami.dbDelTree('hotline-busy');
    expect(await ami.dbGetTree('hotline-busy')).to.deep.equal({});
    // and the full CLI is refused the way Asterisk refuses an action the user may not run
    const refused = await ami.raw({ action: 'Command', command: 'database show hotline-busyx' }).then(
      () => null,
      (e: { details?: { asteriskMessage?: string } }) => e,
    );
    expect(refused?.details?.asteriskMessage).to.equal('Permission denied');
  });

  it('given a manager.conf user with write=all (the captures\' Asterisk), when Command is sent, then the CLI answers', async () => {
    // The simulator's default configuration has no manager.conf: no restriction, as in the captures.
    h = await startHarness();
    const frame = (await h.hub.ami('centre-1').raw({ action: 'Command', command: 'core show uptime' })) as Record<string, unknown>;
    expect(String(frame.response).toLowerCase()).to.equal('success');
  });
});

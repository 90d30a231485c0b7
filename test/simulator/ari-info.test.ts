import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';

const MODELS = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../shared/asterisk/api-docs/asterisk.json'), 'utf8')).models;

describe('simulator ARI GET /asterisk/info (api-docs AsteriskInfo)', () => {
  let sim: Simulator;
  before(async () => { sim = await startSimulator(); });
  after(async () => { await sim.stop(); });
  const get = async (q = '') => {
    const r = await fetch(`http://127.0.0.1:${sim.ariPort}/ari/asterisk/info${q}`, { headers: { authorization: `Basic ${Buffer.from('hotline:hotline').toString('base64')}` } });
    return { status: r.status, body: (await r.json()) as Record<string, Record<string, unknown>> };
  };

  it('given the api-docs model, when the info is read, then build, system, config and status are there with the fields Asterisk 22 documents', async () => {
    const { status, body } = await get();
    expect(status).to.equal(200);
    expect(Object.keys(body)).to.have.members(Object.keys(MODELS.AsteriskInfo.properties));
    expect(Object.keys(body.build)).to.have.members(Object.keys(MODELS.BuildInfo.properties));
    expect(Object.keys(body.config)).to.have.members(Object.keys(MODELS.ConfigInfo.properties));
    expect(Object.keys(body.config.setid as object)).to.have.members(Object.keys(MODELS.SetId.properties));
    expect(body.system.version).to.equal('22.10.1');
    expect(body.status.startup_time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  });

  it('given only=build,status, when the info is read, then only those parts come back', async () => {
    const { body } = await get('?only=build,status');
    expect(Object.keys(body)).to.have.members(['build', 'status']);
  });
});

import path from 'node:path';
import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiSession } from './support/session';
import { fld } from './support/compare';
import { until } from '../support/until';

const DIALPLAN = path.resolve(__dirname, '../../dialplan');

/** Dial as the project's dialplan uses it: numbers out through a trunk endpoint, and the pre-dial handler's SIP headers. */
describe('simulator Dial(): PJSIP/<number>@<endpoint>, b() and PJSIP_HEADER', () => {
  let sim: Simulator;
  let s: AmiSession;
  beforeEach(async () => {
    sim = await startSimulator({ confDir: DIALPLAN, timeScale: 0.05, soundMs: 20 });
    s = new AmiSession(sim.amiPort);
    await s.ready();
  });
  afterEach(async () => { s.close(); await sim.stop(); });

  it('given the carrier trunk, when PJSIP/13900000000@carrier is dialled (the satisfaction call’s default), then a carrier channel calls that number', async () => {
    const res = await s.action({ action: 'Originate', channel: 'PJSIP/13900000000@carrier', application: 'Wait', data: '1', async: 'true' });
    expect(res.response).to.equal('Success');
    const r = await s.waitFor('OriginateResponse');
    expect(fld(r, 'Response')).to.equal('Success');
    expect(fld(r, 'Channel')).to.match(/^PJSIP\/carrier-[0-9a-f]{8}$/);
    const invite = sim.sipMessages().find((m) => m.channel === fld(r, 'Channel'))!;
    expect(invite.message).to.equal('INVITE sip:13900000000@carrier');
  });

  it('given a one-key transfer with a ticket, when [hotline-transfer] dials the county line, then the pre-dial handler puts X-Hotline-Ticket and X-Hotline-Summary on its INVITE', async () => {
    await s.action({ action: 'Originate', channel: 'Local/000042@hotline-transfer', application: 'Wait', data: '30', async: 'true',
      variable: ['HOTLINE_TRANSFER_DIAL=PJSIP/trunk-hx', '__HOTLINE_TICKET=QY2026113000001', '__HOTLINE_TRANSFER_SUMMARY=供暖不热'] });
    const invite = await until(() => sim.sipMessages().find((m) => m.channel.startsWith('PJSIP/trunk-hx-')), { what: 'the INVITE to 环县' });
    expect(invite.headers).to.deep.equal({ 'X-Hotline-Ticket': 'QY2026113000001', 'X-Hotline-Summary': '供暖不热' });
    // The handler ran on the target's channel before it was called (Newexten on it, then Return).
    const apps = () => s.events().filter((e) => fld(e, 'Event') === 'Newexten' && fld(e, 'Channel') === invite.channel).map((e) => fld(e, 'Application'));
    await until(() => apps().includes('Return'), { what: 'the handler’s events over AMI' });
    expect(apps()).to.deep.equal(['AppDial', 'Set', 'Set', 'Return']);
  });
});

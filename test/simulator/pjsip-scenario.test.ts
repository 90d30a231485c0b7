import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { ScenarioDriver } from '../../src/simulator/scenario';
import { RawAmi } from './support/ami-client';
import { readMessages, get, fieldNamesByEvent } from './support/transcript';
import { until } from '../support/until';

const f = (e: Array<[string, string]>, k: string): string | undefined => e.find(([x]) => x === k)?.[1];

describe('simulator PJSIP phones, queue call and scenario driver (captures 07, 08)', () => {
  let sim: Simulator;
  let ami: RawAmi | undefined;
  let driver: ScenarioDriver | undefined;
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.05 }); });
  afterEach(async () => { driver?.stop(); ami?.close(); await sim.stop(); });

  it('given phones registering, when the carrier calls 12345, then member status runs 5,1,6,2,1 and events carry the recorded fields', async () => {
    ami = new RawAmi(sim.amiPort);
    ami.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    await until(() => ami!.messages().length > 0);
    sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    sim.setEndpointBehaviour('1002', { noAnswer: true });
    sim.registerEndpoint('1001');
    sim.registerEndpoint('1002');
    const caller = await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345' });
    await until(() => sim.channels().find((c) => c.id === caller)?.bridgeId, { what: 'caller bridged to 1001' });
    const op = sim.channels().find((c) => c.name.startsWith('PJSIP/1001-'))!;
    expect(op.bridgeId).to.equal(sim.channels().find((c) => c.id === caller)!.bridgeId);
    sim.hangup(caller);
    await until(() => ami!.messages().some((m) => f(m, 'Event') === 'AgentComplete'));
    await until(() => sim.channels().length === 0);
    sim.unregisterEndpoint('1001');
    await until(() => ami!.messages().some((m) => f(m, 'Event') === 'ContactStatus' && f(m, 'ContactStatus') === 'Removed'));
    const msgs = ami.messages();
    const statuses = msgs.filter((m) => f(m, 'Event') === 'QueueMemberStatus' && f(m, 'Interface') === 'PJSIP/1001').map((m) => f(m, 'Status'));
    expect(statuses).to.deep.equal(['1', '6', '2', '1', '5']);
    const loser = msgs.find((m) => f(m, 'Event') === 'Hangup' && (f(m, 'Channel') ?? '').startsWith('PJSIP/1002-'))!;
    expect(f(loser, 'Cause')).to.equal('26');
    const req = msgs.find((m) => f(m, 'Event') === 'HangupRequest' && f(m, 'Channel') === sim.context.pbx.channels.get(caller)?.name);
    void req;
    expect(f(msgs.find((m) => f(m, 'Event') === 'AgentComplete')!, 'Reason')).to.equal('caller');
    const recorded = [...readMessages('07-pjsip-registration-queue-member-states.txt'), ...readMessages('08-pjsip-queue-call-caller-hangs-up.txt')].filter((m) => m.dir === 'S->C' && get(m, 'Event'));
    const rec = fieldNamesByEvent(recorded);
    for (const [ev, names] of fieldNamesByEvent(msgs.map((fields) => ({ fields })))) {
      if (!rec.has(ev) || ev === 'SuccessfulAuth' || ev === 'HangupRequest' || ev === 'DialBegin' || ev === 'DialEnd') continue;
      expect(names, ev).to.deep.equal(rec.get(ev));
    }
    const byeReq = msgs.find((m) => f(m, 'Event') === 'HangupRequest' && (f(m, 'Channel') ?? '').startsWith('PJSIP/carrier-'))!;
    expect(byeReq.some(([k]) => k === 'Cause'), 'a BYE gives HangupRequest without Cause').to.equal(false);
  });

  it('given two operators and callers arriving, when the driver runs, then calls are answered and completed with no service attached', async () => {
    driver = new ScenarioDriver(sim, { operators: 2, callersPerMinute: 0, answerDelayMs: 20, talkTimeMs: 100, patienceMs: 2000 });
    driver.start();
    await driver.placeCaller();
    await driver.placeCaller();
    await until(() => driver!.stats.completed >= 2, { timeoutMs: 5000, what: 'two completed calls' });
    expect(driver.stats.abandoned).to.equal(0);
    await until(() => sim.channels().length === 0);
  });

  it('given no free operator, when a caller runs out of patience, then it abandons', async () => {
    driver = new ScenarioDriver(sim, { operators: 1, callersPerMinute: 0, answerDelayMs: 10, talkTimeMs: 5000, patienceMs: 200 });
    driver.start();
    await driver.placeCaller();
    await driver.placeCaller();
    await until(() => driver!.stats.abandoned >= 1, { timeoutMs: 3000 });
    expect(driver.stats.answered).to.equal(1);
  });
});

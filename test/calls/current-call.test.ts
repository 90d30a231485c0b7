import WebSocket from 'ws';
import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';

/**
 * Issue 12: the operator's screen pop (来电弹屏) needs the call at their phone — on /api/operators/me
 * and on the `operator` topic — and the caller's earlier tickets and restriction.
 */
describe('the operator\'s current call for the screen pop', function () {
  this.timeout(60_000);
  let h: CallHarness;
  let op: string;
  let other: string;
  let sup: string;
  let ws: WebSocket | null = null;
  let board: WebSocket | null = null;

  before(async () => {
    h = await startCallHarness();
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { noAnswer: true });
    op = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    other = await h.t.userToken(['operator'], { username: 'op1009', extension: 'PJSIP/1009', centre: 'QY' });
    sup = await h.t.userToken(['supervisor'], { username: 'banzhang' });
  });
  after(async () => {
    ws?.close();
    board?.close();
    await h?.stop();
  });

  it('given a ready operator on the feed, when a citizen calls, then the ringing call, then the answered call, pops with the number, centre and wait; after hangup it is gone', async () => {
    expect((await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} })).status).to.equal(200);
    // An earlier ticket of this caller, and a restriction a supervisor set (第三十三条).
    const earlier = await h.t.http('POST', '/api/tickets', { token: sup, body: { channel: 'phone', callerPhone: '13912345678', content: '小区路灯不亮已经一个月了', category: 'help', domain: 'public_service' } });
    expect(earlier.status, JSON.stringify(earlier.body)).to.equal(201);
    const restricted = await h.t.http('POST', '/api/restrictions', { token: sup, body: { number: '13912345678', reason: '反复拨打骚扰', expiresAt: new Date(Date.now() + 3600_000).toISOString() } });
    expect(restricted.status, JSON.stringify(restricted.body)).to.equal(201);
    // Lifted at once so the call still reaches the queue; a second one stays to be shown.
    await h.t.http('DELETE', `/api/restrictions/${restricted.body.id}`, { token: sup });

    ws = new WebSocket(`ws://127.0.0.1:${h.t.service.port}/ws?token=${op}`);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await until(() => frames.some((f) => f.type === 'hello'));
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'operator' }));
    const snap = await until(() => frames.find((f) => f.type === 'snapshot'));
    expect(snap.data).to.include({ state: 'ready', currentCall: null });

    // The supervisor's wallboard sees the same operator, the caller's number masked (第二十七条).
    board = new WebSocket(`ws://127.0.0.1:${h.t.service.port}/ws?token=${sup}`);
    const boardFrames: any[] = [];
    board.on('message', (d) => boardFrames.push(JSON.parse(d.toString())));
    await until(() => boardFrames.some((f) => f.type === 'hello'));
    board.send(JSON.stringify({ type: 'subscribe', topic: 'queues' }));
    await until(() => boardFrames.find((f) => f.type === 'snapshot'));

    const id = await h.sim.placeInboundCall({ from: '13912345678', to: '12345', trunk: 'carrier' });
    const ringing = await until(async () => {
      const me = (await h.t.http('GET', '/api/operators/me', { token: op })).body;
      return me.currentCall?.state === 'ringing' && me.currentCall.callId ? me : null;
    }, { what: 'the ringing call on /api/operators/me' });
    expect(ringing.currentCall).to.include({ linkedid: id, callerNumber: '13912345678', queue: 'q-qy', centre: 'QY', centreName: '庆阳市12345热线' });
    expect(ringing.currentCall.waitSeconds).to.be.a('number');
    const popped = await until(() => frames.find((f) => f.type === 'event' && f.data.operator?.currentCall?.linkedid === id), { what: 'the screen pop on the feed' });
    // The first pop already names the caller: Asterisk's AgentCalled carries the number, whether or
    // not the call record has been written yet.
    expect(popped.data.operator.currentCall.callerNumber).to.equal('13912345678');
    const onBoard = await until(() => boardFrames.find((f) => f.type === 'event' && f.data.operator?.call?.linkedid === id), { what: 'the ringing operator on the wallboard' });
    expect(onBoard.data.operator.call.callerNumber).to.be.a('string').and.not.equal('13912345678');
    expect(onBoard.data.operator.call.callerNumber).to.match(/^139\*+5678$/);

    const restriction = await h.t.http('POST', '/api/restrictions', { token: sup, body: { number: '13912345678', reason: '反复拨打骚扰', expiresAt: new Date(Date.now() + 3600_000).toISOString() } });
    const history = await h.t.http('GET', `/api/calls/${ringing.currentCall.callId}/caller-history`, { token: op });
    expect(history.status, JSON.stringify(history.body)).to.equal(200);
    expect(history.body.callerNumber).to.equal('13912345678');
    expect(history.body.tickets.map((t: { no: string }) => t.no)).to.deep.equal([earlier.body.no]);
    expect(history.body.tickets[0]).to.include({ statusLabel: earlier.body.statusLabel, categoryLabel: '求助' });
    expect(history.body.restriction).to.include({ id: restriction.body.id, reason: '反复拨打骚扰' });
    // Another operator has no business with this caller's history.
    const refused = await h.t.http('GET', `/api/calls/${ringing.currentCall.callId}/caller-history`, { token: other });
    expect(refused.status).to.equal(403);
    await h.t.http('DELETE', `/api/restrictions/${restriction.body.id}`, { token: sup });

    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 50 });
    const answered = await until(async () => {
      const me = (await h.t.http('GET', '/api/operators/me', { token: op })).body;
      return me.state === 'on_call' && me.currentCall?.state === 'answered' ? me : null;
    }, { timeoutMs: 15_000, what: 'the answered call' });
    expect(answered.currentCall).to.include({ linkedid: id, callId: ringing.currentCall.callId });
    await until(() => frames.some((f) => f.type === 'event' && f.data.operator?.state === 'on_call' && f.data.operator.currentCall?.state === 'answered'), { what: 'the answered call on the feed' });

    h.sim.hangup(id);
    await until(async () => (await h.t.http('GET', '/api/operators/me', { token: op })).body.currentCall === null, { what: 'no current call after hangup' });
  });

  it('given a handling unit, when it asks for a caller\'s history, then it is refused by role', async () => {
    const unit = await h.t.userToken(['unit_handler'], { unitCode: 'QY-RSJ' });
    const r = await h.t.http('GET', '/api/calls/1/caller-history', { token: unit });
    expect(r.status).to.equal(403);
    expect(r.body.error.id).to.equal('auth.forbidden');
  });
});

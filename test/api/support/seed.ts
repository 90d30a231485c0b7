import { expect } from 'chai';
import { TestService } from '../../support/service';

export interface Seeded {
  ids: string[];
  ticketNos: string[];
  codes: string[];
  callId: number;
  transferId: number;
  conferenceId: number;
  conferenceLegId: number;
  monitorId: number;
  missedId: number;
  recordingId: number;
  entryId: number;
  questionId: number;
  flagId: number;
  restrictionId: number;
  importJobId: string | null;
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo);

/**
 * Data for every kind of record the API returns: tickets, knowledge entries, questions, flags and
 * restrictions through the API; calls with legs, transitions, a recording, a transfer, a three-way
 * call, a monitoring session, a missed call and a satisfaction call written as the call path would
 * (those come from Asterisk, not from the API).
 */
export async function seed(t: TestService, token: string): Promise<Seeded> {
  const ok = async (method: string, path: string, body: unknown) => {
    const r = await t.http(method, path, { token, body });
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).to.be.oneOf([200, 201, 202]);
    return r.body;
  };
  const ticket = await ok('POST', '/api/tickets', {
    channel: 'phone', callerName: '张三丰', callerPhone: '13800138000', content: '西峰区南大街某小区楼下烧烤店油烟扰民,晚上噪音很大', category: 'complaint',
    domain: 'ecological_environment', subdomain: 'air', matterPlace: '西峰区南大街', emergency: false,
  });
  await ok('POST', `/api/tickets/${ticket.no}/dispatch`, { mainUnit: 'QY-RSJ', coUnits: [] });
  const entry = await ok('POST', '/api/knowledge/entries', {
    question: '灵活就业人员怎么参加养老保险？', answer: '持身份证到户籍所在地社保经办机构办理灵活就业人员参保登记，按月或按年缴费。',
    basis: [{ document: '社会保险法', number: null, article: '第十条' }], unitCode: 'QY-RSJ', unitName: '庆阳市人力资源和社会保障局', regionLevel: 'city', regionName: '庆阳市',
    categoryPath: ['社会保障', '养老保险'], keywords: ['灵活就业', '参保'], effectiveFrom: iso(86_400_000).toISOString(), removalAt: null, visibility: 'public',
  });
  const question = await ok('POST', '/api/knowledge/questions', { question: '灵活就业人员断缴后如何补缴？', unitCode: 'QY-RSJ' });
  const flag = await ok('POST', `/api/knowledge/entries/${entry.id}/flags`, { kind: 'outdated', reason: '缴费基数已调整' });
  const restriction = await ok('POST', '/api/restrictions', { number: '13900009999', reason: '恶意骚扰热线', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });

  const k = t.db.knex;
  const [call] = await k('calls').insert({
    server_id: 'qy', linkedid: '1700000000.1', caller_channel_id: '1700000000.1', caller_number: '13800138000', centre: 'QY', queue: 'q-qy', state: 'ended', outcome: 'answered',
    started_at: iso(600_000), queue_entered_at: iso(590_000), answered_at: iso(580_000), ended_at: iso(500_000), wait_seconds: 10, talk_seconds: 80,
    operator_interface: 'PJSIP/1001', ticket_no: ticket.no,
  }).returning('id');
  const callId = Number(call.id ?? call);
  await k('call_legs').insert([
    { call_id: callId, server_id: 'qy', channel_id: '1700000000.1', channel: 'PJSIP/carrier-00000001', role: 'caller', started_at: iso(600_000), answered_at: iso(600_000), ended_at: iso(500_000), hangup_cause: 16 },
    { call_id: callId, server_id: 'qy', channel_id: '1700000000.2', channel: 'PJSIP/1001-00000002', role: 'operator', started_at: iso(585_000), answered_at: iso(580_000) },
  ]);
  await k('call_transitions').insert({ call_id: callId, from_state: 'new', event: 'queue_joined', to_state: 'queued', at: iso(590_000), event_key: 'seed-1' });
  const [rec] = await k('recordings').insert({ server_id: 'qy', name: '1700000000.1.wav', call_id: callId, linkedid: '1700000000.1', kind: 'call', state: 'finished', duration_seconds: 80.5, size_bytes: 12345 }).returning('id');
  const [tr] = await k('call_transfers').insert({ call_id: callId, server_id: 'qy', linkedid: '1700000000.1', line_code: 'HX', mode: 'blind', status: 'failed', result: 'BUSY', ticket_no: ticket.no, operator_user_id: 1 }).returning('id');
  const [conf] = await k('call_conferences').insert({ call_id: callId, server_id: 'qy', linkedid: '1700000000.1', room: 'r1', line_code: 'E-12348', state: 'ended', ended_at: iso(500_000) }).returning('id');
  const [leg] = await k('call_conference_legs').insert({ conference_id: Number(conf.id), role: 'expert', channel_id: 'c-1', channel: 'PJSIP/12348-00000003', joined_at: iso(560_000), left_at: iso(520_000) }).returning('id');
  const [mon] = await k('call_monitor_sessions').insert({ call_id: callId, supervisor_user_id: 1, supervisor_interface: 'PJSIP/1003', mode: 'listen', target_channel: 'PJSIP/1001-00000002', spy_channel_id: 's-1', ended_at: iso(510_000) }).returning('id');
  const [missed] = await k('missed_calls').insert({ call_id: callId, caller_number: '13700001111', centre: 'QY', queue: 'q-qy', missed_at: iso(400_000), wait_seconds: 130, reason: 'abandoned' }).returning('id');
  await k('restricted_hits').insert({ number: '13900009999', server_id: 'qy', linkedid: '1700000001.1', at: iso(300_000) });
  await k('satisfaction_calls').insert({ ticket_no: ticket.no, server_id: 'qy', channel_id: 'sat-1', requested_by: 1, result: 'rated', key: '2', ended_at: iso(100_000) });

  return {
    ids: [String(callId), String(Number(tr.id)), String(Number(conf.id)), String(Number(entry.id)), '1', '2'],
    ticketNos: [ticket.no], codes: ['HX', 'QY', 'E-12348', '110'],
    callId, transferId: Number(tr.id), conferenceId: Number(conf.id), conferenceLegId: Number(leg.id), monitorId: Number(mon.id), missedId: Number(missed.id),
    recordingId: Number(rec.id), entryId: entry.id, questionId: question.id, flagId: flag.id, restrictionId: restriction.id, importJobId: null,
  };
}

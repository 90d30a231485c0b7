import { expect } from 'chai';
import { RULES, TicketEvent, TicketSnapshot, transition, EventType, allowedEvents } from '../../src/tickets/state';
import { STATUSES, TicketStatus } from '../../src/tickets/model';

const at = new Date('2026-10-09T01:00:00Z');
const snap = (status: TicketStatus, extra: Partial<TicketSnapshot> = {}): TicketSnapshot => ({
  status, emergency: false, category: 'complaint', channel: 'phone', mainUnit: 'QY-ZJJ', coUnits: [], handleLimit: '5wd', flow: {},
  deadlines: { handle: new Date('2026-10-15T09:30:00Z'), return: new Date('2026-10-12T09:30:00Z') }, ...extra,
});
/** A well-formed example of every event, sent by an actor the rule admits. */
const sample = (type: EventType): TicketEvent => {
  const actor = RULES[type].actors[0];
  const base = { at, actor };
  switch (type) {
    case 'not_accept': return { ...base, type, reasonCode: 'unclear_matter' };
    case 'close_immediately': return { ...base, type, resolution: '已当场解答' };
    case 'dispatch': return { ...base, type, mainUnit: 'QY-ZJJ', coUnits: [] };
    case 'feedback': case 'progress': case 'co_opinion': return { ...base, type, text: '说明' };
    case 'request_extension': return { ...base, type, extra: '2wd', reason: '需要时间' };
    case 'reject_extension': case 'reject_return': case 'withdraw': return { ...base, type, reason: '理由' };
    case 'request_return': return { ...base, type, reason: '非本单位职责', basis: '三定方案', suggestedUnit: 'QY-SCJGJ' };
    case 'reply': return { ...base, type, text: '已办理' };
    case 'visit': return { ...base, type, level: 'satisfied' };
    case 'sms_rating': case 'ivr_rating': return { ...base, type, level: 'satisfied' };
    case 'urge': case 'escalate': return { ...base, type, note: '请加快办理' };
    case 'merge_into': return { ...base, type, targetStatus: 'in_progress' };
    case 'emergency_handover': return { ...base, type, line: '119' };
    default: return { ...base, type } as TicketEvent;
  }
};

describe('tickets: the lifecycle state machine (pure)', () => {
  const events = Object.keys(RULES) as EventType[];
  for (const status of STATUSES) {
    for (const type of events) {
      const legal = RULES[type].from.includes(status);
      if (legal) continue;
      it(`given a ticket in ${status}, when ${type} arrives, then it is refused with ticket.illegal_transition naming ${status}`, () => {
        const r = transition(snap(status), sample(type));
        expect(r.ok).to.equal(false);
        if (r.ok) return;
        expect(r.refusal).to.include({ status: 409, id: 'ticket.illegal_transition', state: status, event: type });
        expect(r.refusal.message).to.contain(status);
      });
    }
  }

  const expected: Record<string, TicketStatus> = {
    'received/accept': 'accepted', 'received/not_accept': 'not_accepted', 'received/close_immediately': 'replied', 'accepted/close_immediately': 'replied',
    'accepted/dispatch': 'dispatched', 'dispatched/sign': 'in_progress', 'dispatched/deem_signed': 'in_progress', 'dispatched/feedback': 'dispatched',
    'in_progress/feedback': 'in_progress', 'in_progress/progress': 'in_progress', 'dispatched/co_opinion': 'dispatched', 'in_progress/co_opinion': 'in_progress',
    'in_progress/request_extension': 'in_progress', 'dispatched/request_return': 'return_requested', 'in_progress/request_return': 'return_requested',
    'return_requested/approve_return': 'accepted', 'return_requested/reject_return': 'in_progress', 'in_progress/reply': 'replied',
    'replied/visit': 'closed', 'replied/sms_rating': 'closed', 'replied/ivr_rating': 'closed', 'replied/visit_timeout': 'closed', 'received/withdraw': 'withdrawn', 'accepted/withdraw': 'withdrawn',
    'dispatched/withdraw': 'withdrawn', 'in_progress/withdraw': 'withdrawn', 'return_requested/withdraw': 'withdrawn', 'dispatched/urge': 'dispatched',
    'in_progress/urge': 'in_progress', 'return_requested/urge': 'return_requested', 'dispatched/escalate': 'dispatched', 'in_progress/escalate': 'in_progress',
    'return_requested/escalate': 'return_requested', 'received/merge_into': 'merged', 'accepted/merge_into': 'merged', 'dispatched/merge_into': 'merged', 'in_progress/merge_into': 'merged',
    // 第十七条(四): a one-key handover to 110/119/120/122 ends the ticket whatever state it was in.
    'received/emergency_handover': 'not_accepted', 'accepted/emergency_handover': 'not_accepted', 'dispatched/emergency_handover': 'not_accepted',
    'in_progress/emergency_handover': 'not_accepted', 'return_requested/emergency_handover': 'not_accepted',
  };
  for (const [key, to] of Object.entries(expected)) {
    const [from, type] = key.split('/') as [TicketStatus, EventType];
    it(`given a ticket in ${from}, when ${type} arrives from an admitted actor, then it moves to ${to}`, () => {
      const r = transition(snap(from), sample(type));
      expect(r.ok, JSON.stringify(r)).to.equal(true);
      if (r.ok) expect(r.next.status).to.equal(to);
    });
  }

  it('given a unit returning a ticket (退单), when no suggested unit is given or it suggests itself, then it is refused with 422 (第二十一条(二))', () => {
    const none = transition(snap('in_progress'), { at, actor: 'unit_main', type: 'request_return', reason: '非本单位职责', basis: '三定方案', suggestedUnit: null });
    expect(none.ok).to.equal(false);
    if (!none.ok) expect(none.refusal).to.include({ status: 422, id: 'ticket.return_needs_suggestion' });
    const itself = transition(snap('in_progress'), { at, actor: 'unit_main', type: 'request_return', reason: '非本单位职责', basis: '三定方案', suggestedUnit: 'QY-ZJJ' });
    expect(itself.ok).to.equal(false);
    if (!itself.ok) expect(itself.refusal).to.include({ status: 422, id: 'ticket.return_suggests_itself' });
  });

  it('given the table, then every legal (state, event) pair except the pending-request approvals is covered above', () => {
    const legal = STATUSES.flatMap((s) => allowedEvents(s).map((e) => `${s}/${e}`));
    const uncovered = legal.filter((k) => !(k in expected));
    expect(uncovered.sort()).to.deep.equal(['in_progress/approve_extension', 'in_progress/reject_extension']);
  });

  it('given no pending extension, when one is approved or rejected, then it is refused (ticket.no_pending_extension)', () => {
    for (const type of ['approve_extension', 'reject_extension'] as const) {
      const r = transition(snap('in_progress'), sample(type));
      expect(!r.ok && r.refusal.id).to.equal('ticket.no_pending_extension');
    }
  });

  it('given a pending extension of 2wd, when approved, then the handle deadline is extended by 2wd and the grant counted', () => {
    const r = transition(snap('in_progress', { flow: { extensionPending: { extra: '2wd', reason: 'x', requestedAt: at.toISOString() } } }), sample('approve_extension'));
    expect(r.ok && r.effects).to.deep.include({ type: 'extend_deadline', kind: 'handle', extra: { amount: 2, unit: 'wd' } });
    expect(r.ok && r.next.flow.extensionGranted).to.equal(2);
  });

  it('given the handle deadline has passed, when an extension is requested, then it is refused: 延期须在办理时限内 (第二十一条(一))', () => {
    const r = transition(snap('in_progress'), { ...(sample('request_extension') as object), at: new Date('2026-10-15T09:30:00Z') } as TicketEvent);
    expect(!r.ok && r.refusal.id).to.equal('ticket.extension_after_deadline');
  });

  it('given a 5wd limit, when 6wd are asked, or 3wd after 3wd granted, then it is refused: ≤ 1× the original (第二十一条(一))', () => {
    const a = transition(snap('in_progress'), { ...sample('request_extension'), extra: '6wd' } as TicketEvent);
    expect(!a.ok && a.refusal.id).to.equal('ticket.extension_too_long');
    const b = transition(snap('in_progress', { flow: { extensionGranted: 3 } }), { ...sample('request_extension'), extra: '3wd' } as TicketEvent);
    expect(!b.ok && b.refusal.id).to.equal('ticket.extension_too_long');
    const c = transition(snap('in_progress', { flow: { extensionGranted: 3 } }), { ...sample('request_extension'), extra: '2wd' } as TicketEvent);
    expect(c.ok).to.equal(true);
  });

  it('given a return requested after its deadline, then it is accepted but flagged late and counted as overdue (第二十一条(二))', () => {
    const r = transition(snap('in_progress'), { ...sample('request_return'), at: new Date('2026-10-12T10:00:00Z') } as TicketEvent);
    expect(r.ok && r.next.flow.returnPending?.late).to.equal(true);
    expect(r.ok && r.next.flow.lateReturns).to.equal(1);
    const inTime = transition(snap('in_progress'), sample('request_return'));
    expect(inTime.ok && inTime.next.flow.returnPending?.late).to.equal(false);
  });

  it('given a return without reason or basis, then it is refused (退单应注明退回理由和依据)', () => {
    const r = transition(snap('dispatched'), { ...sample('request_return'), basis: ' ' } as TicketEvent);
    expect(!r.ok && r.refusal.id).to.equal('ticket.return_needs_reason');
  });

  it('given a merge target already answered or only registered, then the merge is refused (第二十一条(一) 未向诉求人回复之前)', () => {
    for (const targetStatus of ['replied', 'closed', 'received'] as TicketStatus[]) {
      const r = transition(snap('accepted'), { ...sample('merge_into'), targetStatus } as TicketEvent);
      expect(!r.ok && r.refusal.id, targetStatus).to.equal('ticket.merge_target_answered');
    }
  });

  it('given a dissatisfied visit, then the cause decides: the unit → 重办 in_progress; beyond policy or expectation → closed (第二十二条(三))', () => {
    const unit = transition(snap('replied'), { ...sample('visit'), level: 'very_dissatisfied', cause: 'unit' } as TicketEvent);
    expect(unit.ok && unit.next.status).to.equal('in_progress');
    expect(unit.ok && unit.next.flow.redoCount).to.equal(1);
    const policy = transition(snap('replied'), { ...sample('visit'), level: 'dissatisfied', cause: 'beyond_policy' } as TicketEvent);
    expect(policy.ok && policy.next.status).to.equal('closed');
  });

  it('given a caller answered 不满意 by SMS, when 24 hours pass, then the default 满意 no longer applies (ticket.visit_answered)', () => {
    const r = transition(snap('replied', { flow: { smsDissatisfied: 'dissatisfied' } }), sample('visit_timeout'));
    expect(!r.ok && r.refusal.id).to.equal('ticket.visit_answered');
  });

  it('given a unit, when it tries a hotline-only action such as dispatch or visit, then it is refused 403 ticket.not_your_action', () => {
    const r = transition(snap('accepted'), { ...sample('dispatch'), actor: 'unit_main' } as TicketEvent);
    expect(!r.ok && r.refusal).to.include({ status: 403, id: 'ticket.not_your_action' });
  });

  it('given an emergency ticket, when dispatched, then feedback 2h and return 30m deadlines start (第二十一条(一)(二))', () => {
    const r = transition(snap('accepted', { emergency: true }), sample('dispatch'));
    const starts = r.ok ? r.effects.filter((e) => e.type === 'start_deadline') : [];
    expect(starts.map((e) => e.type === 'start_deadline' && [e.kind, `${e.limit.amount}${e.limit.unit}`])).to.deep.equal([['sign', '3wh'], ['return', '30m'], ['handle', '2wd'], ['feedback', '2h']]);
  });

  it('given a provincial 12345 ticket, a consultation and a legal limit, when dispatched, then the handle limits are 4wd, 2wd and the legal one', () => {
    const lim = (s: Partial<TicketSnapshot>, legalLimit?: string) => {
      const r = transition(snap('accepted', s), { ...sample('dispatch'), legalLimit } as TicketEvent);
      return r.ok ? r.next.handleLimit : null;
    };
    expect(lim({ channel: 'provincial_12345' })).to.equal('4wd');
    expect(lim({ category: 'consultation' })).to.equal('2wd');
    expect(lim({}, '15wd')).to.equal('15wd');
    expect(lim({})).to.equal('5wd');
  });
});

import { EntryState } from './types';
import { conflict } from '../http/errors';

/**
 * The review state machine of an entry. Units write drafts and submit them; hotline reviewers
 * approve, publish or send back with a reason; published entries are withdrawn by hand or expire at
 * their removal time (第二十四条(三): 生效及下架时间). Withdrawn/expired entries may be revised into
 * a new draft. Every other move is refused with `knowledge.illegal_transition` (409).
 */
export const TRANSITIONS = {
  submit: { from: ['draft'], to: 'submitted' },
  return: { from: ['submitted', 'approved'], to: 'draft' },
  approve: { from: ['submitted'], to: 'approved' },
  publish: { from: ['approved'], to: 'published' },
  withdraw: { from: ['published', 'approved', 'submitted'], to: 'withdrawn' },
  expire: { from: ['published'], to: 'expired' },
  revise: { from: ['withdrawn', 'expired'], to: 'draft' },
} as const satisfies Record<string, { from: readonly EntryState[]; to: EntryState }>;

export type TransitionEvent = keyof typeof TRANSITIONS;
export const TRANSITION_EVENTS = Object.keys(TRANSITIONS) as TransitionEvent[];

/** Events that must say why (send-backs and withdrawals are explained to the unit / the operators). */
export const NEEDS_REASON: ReadonlySet<TransitionEvent> = new Set(['return', 'withdraw', 'revise']);

export function nextState(from: EntryState, event: TransitionEvent): EntryState {
  const t = TRANSITIONS[event];
  if (!(t.from as readonly EntryState[]).includes(from)) {
    throw conflict('knowledge.illegal_transition', `知识条目当前状态为“${STATE_LABELS[from]}”，不能执行“${EVENT_LABELS[event]}”`, {
      from,
      event,
      allowedFrom: t.from,
    });
  }
  return t.to;
}

export const STATE_LABELS: Record<EntryState, string> = {
  draft: '草稿',
  submitted: '已报送待审核',
  approved: '审核通过待发布',
  published: '已发布',
  withdrawn: '已撤回',
  expired: '已下架（过期）',
};

export const EVENT_LABELS: Record<TransitionEvent, string> = {
  submit: '报送',
  return: '退回修改',
  approve: '审核通过',
  publish: '发布',
  withdraw: '撤回',
  expire: '到期下架',
  revise: '重新编辑',
};

/**
 * An operator's working state as an explicit machine. Asterisk is the truth for ringing / in a call
 * (queue member status); the service is the truth for logged in, ready and paused with a reason.
 */
export type OperatorState = 'logged_out' | 'ready' | 'ringing' | 'on_call' | 'wrapup' | 'paused';

export type OperatorEvent = 'login' | 'logout' | 'ready' | 'pause' | 'ring' | 'ring_stopped' | 'answer' | 'call_ended' | 'wrapup_done';

/** Pause reasons a centre uses; labels are what operators and supervisors see. */
export const PAUSE_REASONS = {
  break: '小休',
  meal: '用餐',
  training: '培训',
  meeting: '会议',
  after_call_work: '话后处理',
  callback: '回拨',
  other: '其他',
} as const;
export type PauseReason = keyof typeof PAUSE_REASONS;

const TABLE: Record<OperatorState, Partial<Record<OperatorEvent, OperatorState>>> = {
  logged_out: { login: 'ready' },
  ready: { pause: 'paused', ring: 'ringing', answer: 'on_call', logout: 'logged_out' },
  ringing: { answer: 'on_call', ring_stopped: 'ready', pause: 'paused', logout: 'logged_out' },
  on_call: { call_ended: 'wrapup', pause: 'on_call', logout: 'logged_out' },
  wrapup: { wrapup_done: 'ready', pause: 'paused', ready: 'ready', ring: 'ringing', answer: 'on_call', logout: 'logged_out' },
  paused: { ready: 'ready', pause: 'paused', answer: 'on_call', logout: 'logged_out' },
};

export function nextOperatorState(state: OperatorState, event: OperatorEvent): OperatorState | null {
  return TABLE[state][event] ?? null;
}

/** What may be asked of an operator in a state (for clear 409s). */
export function allowedEvents(state: OperatorState): OperatorEvent[] {
  return Object.keys(TABLE[state]) as OperatorEvent[];
}

/**
 * The call's lifecycle as an explicit state machine. A transition returns the next state (or null
 * when the event does not apply in this state, which is logged and ignored: Asterisk replays and
 * resyncs may deliver facts twice or late). The outcome is decided from what happened, at the end.
 */
export type CallState = 'new' | 'queued' | 'answered' | 'fallback' | 'restricted' | 'ended';

export type CallEvent =
  | 'queue_joined'
  | 'queue_left'
  | 'answered'
  | 'abandoned'
  | 'fallback'
  | 'fallback_sms'
  | 'fallback_message'
  | 'restricted'
  | 'transferred'
  | 'hangup'
  | 'reconciled_gone';

export type CallOutcome = 'answered' | 'abandoned' | 'fallback' | 'fallback-sms' | 'fallback-message' | 'transferred' | 'restricted' | 'unanswered';

const TABLE: Record<CallState, Partial<Record<CallEvent, CallState>>> = {
  new: { queue_joined: 'queued', answered: 'answered', fallback: 'fallback', fallback_sms: 'fallback', fallback_message: 'fallback', restricted: 'restricted', hangup: 'ended', reconciled_gone: 'ended' },
  // Leaving the queue without an answer happens on TIMEOUT/overflow; the caller may rejoin (backup queue) or go to the fallback.
  queued: { queue_joined: 'queued', queue_left: 'queued', answered: 'answered', abandoned: 'ended', fallback: 'fallback', fallback_sms: 'fallback', fallback_message: 'fallback', hangup: 'ended', reconciled_gone: 'ended' },
  answered: { transferred: 'answered', queue_left: 'answered', hangup: 'ended', reconciled_gone: 'ended', queue_joined: 'queued' },
  fallback: { fallback_sms: 'fallback', fallback_message: 'fallback', queue_left: 'fallback', hangup: 'ended', reconciled_gone: 'ended' },
  restricted: { hangup: 'ended', reconciled_gone: 'ended' },
  ended: {},
};

export function nextCallState(state: CallState, event: CallEvent): CallState | null {
  return TABLE[state][event] ?? null;
}

export interface CallFacts {
  queued: boolean;
  answered: boolean;
  transferred: boolean;
  restricted: boolean;
  fallback: 'none' | 'prompt' | 'sms' | 'message';
}

/** What the call came to, for reports and the callback list (漏接回拨). */
export function decideOutcome(f: CallFacts): CallOutcome {
  if (f.restricted) return 'restricted';
  if (f.transferred) return 'transferred';
  if (f.answered) return 'answered';
  if (f.fallback === 'sms') return 'fallback-sms';
  if (f.fallback === 'message') return 'fallback-message';
  if (f.fallback === 'prompt') return 'fallback';
  if (f.queued) return 'abandoned';
  return 'unanswered';
}

/** Outcomes that put the caller on the missed-call callback list (national guidance: 漏接回拨). */
export function needsCallback(outcome: CallOutcome): boolean {
  return outcome === 'abandoned' || outcome === 'fallback' || outcome === 'fallback-sms' || outcome === 'fallback-message';
}

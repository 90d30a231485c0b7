/**
 * Ringing a set of outgoing legs on behalf of a caller (Dial and Queue): DialState/DialEnd events,
 * the first answer wins, losers are cancelled with cause 26 ("Answered elsewhere").
 */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { dialEvent, DialStatus, statusForCause } from '../core/dial';

export interface Leg { ch: Channel; iface: string; status?: DialStatus; ringingReported: boolean; startedAt: number; answeredAt?: number }

export function newLeg(ch: Channel, iface: string): Leg {
  return { ch, iface, ringingReported: false, startedAt: Date.now() };
}

export interface RingOpts {
  timeoutMs?: number;
  /** Queue ringall losers get DialEnd CANCEL twice (README). */
  cancelTwice?: boolean;
  onNoAnswer?: (leg: Leg) => void;
  /** Stop ringing (e.g. the caller left the queue); legs are cancelled. */
  stop?: () => boolean;
}

export async function ringLegs(sim: SimContext, caller: Channel | undefined, legs: Leg[], o: RingOpts): Promise<{ winner?: Leg; status: DialStatus }> {
  const { pbx } = sim;
  const mine = new Set(legs.map((l) => l.ch));
  const waker = (ch: Channel): void => {
    if (!mine.has(ch)) return;
    // report ringing as it happens, even if the answer follows before this loop runs again
    const leg = legs.find((l) => l.ch === ch);
    if (leg && !leg.status && !leg.ringingReported && ch.state === 5) {
      leg.ringingReported = true;
      dialEvent(sim, 'DialState', caller, ch, [['DialStatus', 'RINGING']]);
      // the caller hears ringback: a Local ;2 caller shows Ringing on its ;1 (capture 09 C)
      if (caller && caller.state !== 6) sim.pbx.ringing(caller);
    }
    caller?.wake(); wakeLocal();
  };
  let localWake: (() => void) | undefined;
  const wakeLocal = (): void => { localWake?.(); };
  pbx.on('chanstate', waker);
  pbx.on('destroyed', waker);
  const deadline = o.timeoutMs !== undefined && o.timeoutMs >= 0 ? Date.now() + o.timeoutMs : undefined;
  const end = (leg: Leg, status: DialStatus): void => {
    if (leg.status) return;
    leg.status = status;
    dialEvent(sim, 'DialEnd', caller, leg.ch, [['DialStatus', status]]);
  };
  try {
    for (;;) {
      for (const leg of legs) {
        if (leg.status) continue;
        if (leg.ch.state === 6 && !leg.ch.hungup) {
          leg.answeredAt = Date.now();
          end(leg, 'ANSWER');
          for (const other of legs) {
            if (other === leg || other.status) continue;
            end(other, 'CANCEL');
            if (o.cancelTwice) dialEvent(sim, 'DialEnd', caller, other.ch, [['DialStatus', 'CANCEL']]);
            other.status = 'CANCEL';
            pbx.hangup(other.ch, 26, 'silent');
          }
          return { winner: leg, status: 'ANSWER' };
        }
        if (leg.ch.hungup) { end(leg, statusForCause(leg.ch.hangupCause)); continue; }
        if (leg.ch.state === 5 && !leg.ringingReported) {
          leg.ringingReported = true;
          dialEvent(sim, 'DialState', caller, leg.ch, [['DialStatus', 'RINGING']]);
          if (caller && caller.state !== 6) sim.pbx.ringing(caller);
        }
      }
      const live = legs.filter((l) => !l.status);
      if (!live.length) {
        const st = legs.map((l) => l.status!);
        return { status: st.includes('BUSY') ? 'BUSY' : st.includes('CONGESTION') ? 'CONGESTION' : st.includes('NOANSWER') ? 'NOANSWER' : 'CHANUNAVAIL' };
      }
      const callerGone = caller ? caller.interrupted : false;
      const stopped = o.stop?.() ?? false;
      const timedOut = deadline !== undefined && Date.now() >= deadline;
      if (callerGone || stopped || timedOut) {
        for (const leg of live) {
          end(leg, timedOut && !callerGone && !stopped ? 'NOANSWER' : 'CANCEL');
          if (timedOut) o.onNoAnswer?.(leg);
          pbx.hangup(leg.ch, 16, 'silent');
        }
        return { status: timedOut ? 'NOANSWER' : 'CANCEL' };
      }
      const left = deadline === undefined ? 1000 : Math.max(0, deadline - Date.now());
      if (caller) await caller.sleep(left);
      else await new Promise<void>((r) => { const t = setTimeout(r, left); localWake = () => { clearTimeout(t); r(); }; });
    }
  } finally {
    pbx.off('chanstate', waker);
    pbx.off('destroyed', waker);
  }
}

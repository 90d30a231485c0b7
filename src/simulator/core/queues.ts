/**
 * app_queue state: queues.conf, members (static and dynamic), pause with reason, penalties,
 * member status from device state, and the AMI representations of both.
 */
import { ConfSection, confAll, confBool, confGet } from '../conf/ini';
import type { PbxCore } from './pbx';
import type { Channel, Fields } from './channel';

export interface Member {
  iface: string; name: string; stateInterface: string; dynamic: boolean; penalty: number;
  callsTaken: number; lastCall: number; lastPause: number; loginTime: number; inCall: boolean;
  /** Epoch ms of the last call's end (LastCall has whole seconds only). */
  lastCallAt?: number;
  paused: boolean; pausedReason: string; wrapuptime: number; ringinuse: boolean;
  /** A caller's attempt is ringing this member. */
  ringing: boolean; lastStatus: number;
}
export interface Entry { ch: Channel; joinedAt: number; originalPosition: number }
export interface Queue {
  name: string; strategy: string; timeout: number; retry: number; wrapuptime: number; maxlen: number;
  /** joinempty / leavewhenempty: the member conditions that count as "nobody there" (empty: never checked). */
  joinempty: Set<string>; leavewhenempty: Set<string>; ringinuse: boolean; autofill: boolean; musicclass: string;
  setinterfacevar: boolean; setqueuevar: boolean; setqueueentryvar: boolean; weight: number; servicelevel: number;
  members: Member[]; entries: Entry[];
  completed: number; abandoned: number; holdtime: number; talktime: number; rr: number;
}

/**
 * app_queue.c parse_empty_options: a list of conditions (penalty, paused, inuse, ringing, unavailable,
 * invalid, unknown, wrapup), or loose / strict, or a yes/no (joinempty=no and leavewhenempty=yes mean
 * penalty,invalid,paused). Unset: never checked.
 */
export function emptyConditions(value: string | undefined, joinempty: boolean): Set<string> {
  let out = new Set<string>();
  if (value === undefined) return out;
  const all = ['penalty', 'paused', 'inuse', 'ringing', 'unavailable', 'invalid', 'wrapup', 'unknown'];
  for (const raw of value.split(',')) {
    const o = raw.trim().toLowerCase();
    if (all.includes(o)) out.add(o);
    else if (o === 'loose') out = new Set(['penalty', 'invalid']);
    else if (o === 'strict') out = new Set(['penalty', 'invalid', 'paused', 'unavailable']);
    else if ((/^(no|false|n|f|0|off)$/.test(o) && joinempty) || (/^(yes|true|y|t|1|on)$/.test(o) && !joinempty)) out = new Set(['penalty', 'invalid', 'paused']);
    else if (/^(no|false|n|f|0|off|yes|true|y|t|1|on)$/.test(o)) out = new Set();
  }
  return out;
}

const STATUS: Record<string, number> = { NOT_INUSE: 1, INUSE: 2, BUSY: 3, INVALID: 4, UNAVAILABLE: 5, RINGING: 6, RINGINUSE: 7, ONHOLD: 8 };
const now = (): number => Math.floor(Date.now() / 1000);

export class QueueManager {
  readonly queues = new Map<string, Queue>();

  constructor(private readonly pbx: PbxCore) {
    pbx.deviceListeners.push((device) => this.deviceChanged(device));
  }

  load(sections: ConfSection[]): void {
    // [general] autofill is the default for every queue (app_queue's autofill_default).
    const general = sections.find((s) => s.name === 'general' && !s.isTemplate);
    const autofillDefault = general ? confBool(confGet(general.resolved, 'autofill'), false) : false;
    for (const s of sections) {
      if (s.isTemplate || s.name === 'general') continue;
      const e = s.resolved;
      const num = (k: string, d: number): number => { const v = confGet(e, k); return v === undefined || isNaN(Number(v)) ? d : Number(v); };
      const q: Queue = {
        name: s.name, strategy: confGet(e, 'strategy') ?? 'ringall', timeout: num('timeout', 15), retry: num('retry', 5),
        wrapuptime: num('wrapuptime', 0), maxlen: num('maxlen', 0), joinempty: emptyConditions(confGet(e, 'joinempty'), true),
        leavewhenempty: emptyConditions(confGet(e, 'leavewhenempty'), false), ringinuse: confBool(confGet(e, 'ringinuse'), true),
        autofill: confBool(confGet(e, 'autofill'), autofillDefault), musicclass: confGet(e, 'musicclass') ?? 'default',
        setinterfacevar: confBool(confGet(e, 'setinterfacevar'), false), setqueuevar: confBool(confGet(e, 'setqueuevar'), false),
        setqueueentryvar: confBool(confGet(e, 'setqueueentryvar'), false), weight: num('weight', 0), servicelevel: num('servicelevel', 0),
        members: [], entries: [], completed: 0, abandoned: 0, holdtime: 0, talktime: 0, rr: 0,
      };
      for (const m of confAll(e, 'member')) {
        const [iface, penalty, name, stateIf] = m.split(',').map((x) => x.trim());
        q.members.push(this.newMember(q, iface, name || iface, Number(penalty) || 0, stateIf || iface, false));
      }
      this.queues.set(q.name, q);
    }
  }

  private newMember(q: Queue, iface: string, name: string, penalty: number, stateInterface: string, dynamic: boolean): Member {
    const m: Member = { iface, name, stateInterface, dynamic, penalty, callsTaken: 0, lastCall: 0, lastPause: 0, loginTime: now(),
      inCall: false, paused: false, pausedReason: '', wrapuptime: 0, ringinuse: q.ringinuse, ringing: false, lastStatus: 0 };
    m.lastStatus = this.status(m);
    return m;
  }

  status(m: Member): number {
    return STATUS[this.pbx.lastDeviceState(m.stateInterface)] ?? 0;
  }

  memberFields(q: Queue, m: Member): Fields {
    return [['Queue', q.name], ['MemberName', m.name], ['Interface', m.iface], ['StateInterface', m.stateInterface],
      ['Membership', m.dynamic ? 'dynamic' : 'static'], ['Penalty', String(m.penalty)], ['CallsTaken', String(m.callsTaken)],
      ['LastCall', String(m.lastCall)], ['LastPause', String(m.lastPause)], ['LoginTime', String(m.loginTime)], ['InCall', m.inCall ? '1' : '0'],
      ['Status', String(this.status(m))], ['Paused', m.paused ? '1' : '0'], ['PausedReason', m.pausedReason],
      ['Ringinuse', m.ringinuse ? '1' : '0'], ['Wrapuptime', String(m.wrapuptime)]];
  }

  /** QueueMember list item: Name/Location instead of MemberName/Interface, no Ringinuse (README). */
  memberListItem(q: Queue, m: Member): Fields {
    return [['Queue', q.name], ['Name', m.name], ['Location', m.iface], ['StateInterface', m.stateInterface],
      ['Membership', m.dynamic ? 'dynamic' : 'static'], ['Penalty', String(m.penalty)], ['CallsTaken', String(m.callsTaken)],
      ['LastCall', String(m.lastCall)], ['LastPause', String(m.lastPause)], ['LoginTime', String(m.loginTime)], ['InCall', m.inCall ? '1' : '0'],
      ['Status', String(this.status(m))], ['Paused', m.paused ? '1' : '0'], ['PausedReason', m.pausedReason], ['Wrapuptime', String(m.wrapuptime)]];
  }

  paramsItem(q: Queue): Fields {
    return [['Queue', q.name], ['Max', String(q.maxlen)], ['Strategy', q.strategy], ['Calls', String(q.entries.length)],
      ['Holdtime', String(q.holdtime)], ['TalkTime', String(q.talktime)], ['Completed', String(q.completed)], ['Abandoned', String(q.abandoned)],
      ['ServiceLevel', String(q.servicelevel)], ['ServicelevelPerf', '0.0'], ['ServicelevelPerf2', '0.0'], ['Weight', String(q.weight)]];
  }

  /**
   * app_queue.c get_member_status: true when no member escapes `conditions` (the queue is "empty"
   * for joinempty/leavewhenempty). Busy (3) and on-hold members count as there unless listed.
   */
  isEmpty(q: Queue, conditions: Set<string>, wrapupMs: (m: Member) => boolean): boolean {
    for (const m of q.members) {
      const st = this.status(m);
      if (st === 4 && conditions.has('invalid')) continue;
      if (st === 5 && conditions.has('unavailable')) continue;
      if (st === 2 && conditions.has('inuse')) continue;
      if (st === 6 && conditions.has('ringing')) continue;
      if (st === 0 && conditions.has('unknown')) continue;
      if (m.paused && conditions.has('paused')) continue;
      if (conditions.has('wrapup') && wrapupMs(m)) continue;
      return false;
    }
    return true;
  }

  isAvailable(m: Member): boolean {
    const st = this.status(m);
    return !m.paused && st !== 5 && st !== 4 && !(m.inCall && !m.ringinuse);
  }

  private deviceChanged(device: string): void {
    for (const q of this.queues.values()) for (const m of q.members) {
      if (m.stateInterface !== device) continue;
      const st = this.status(m);
      if (st === m.lastStatus) continue;
      m.lastStatus = st;
      this.pbx.ami('QueueMemberStatus', 'agent', this.memberFields(q, m));
    }
  }

  /** Queue:<name>_avail is NOT_INUSE while a member is free; Queue:<name> RINGING while callers wait. */
  updateQueueDevices(q: Queue): void {
    const free = q.members.some((m) => this.isAvailable(m) && !m.ringing && !m.inCall);
    this.pbx.updateDevice(`Queue:${q.name}_avail`, free ? 'NOT_INUSE' : 'INUSE');
    this.pbx.updateDevice(`Queue:${q.name}`, q.entries.length ? 'RINGING' : 'NOT_INUSE');
  }

  // ------------------------------------------------------------ AMI member operations
  add(qname: string, iface: string, o: { name?: string; penalty?: number; paused?: boolean; reason?: string; stateInterface?: string; wrapuptime?: number }): 'ok' | 'noqueue' | 'exists' {
    const q = this.queues.get(qname);
    if (!q) return 'noqueue';
    if (q.members.some((m) => m.iface.toLowerCase() === iface.toLowerCase())) return 'exists';
    const m = this.newMember(q, iface, o.name || iface, o.penalty ?? 0, o.stateInterface || iface, true);
    m.paused = !!o.paused;
    m.pausedReason = o.paused ? o.reason ?? '' : '';
    m.wrapuptime = o.wrapuptime ?? 0;
    q.members.push(m);
    this.pbx.updateDevice(`Queue:${q.name}_pause_${iface}`, m.paused ? 'INUSE' : 'NOT_INUSE');
    this.pbx.ami('QueueMemberAdded', 'agent', this.memberFields(q, m));
    this.updateQueueDevices(q);
    this.pbx.emit('queueChanged', q);
    return 'ok';
  }

  remove(qname: string, iface: string): 'ok' | 'noqueue' | 'notthere' | 'static' {
    const q = this.queues.get(qname);
    if (!q) return 'noqueue';
    const m = q.members.find((x) => x.iface.toLowerCase() === iface.toLowerCase());
    if (!m) return 'notthere';
    if (!m.dynamic) return 'static';
    q.members.splice(q.members.indexOf(m), 1);
    this.pbx.ami('QueueMemberRemoved', 'agent', this.memberFields(q, m));
    this.updateQueueDevices(q);
    return 'ok';
  }

  /** Pause in one queue, or in every queue the interface belongs to (no Queue header). */
  pause(qname: string | undefined, iface: string, paused: boolean, reason: string): boolean {
    let found = false;
    for (const q of this.queues.values()) {
      if (qname && q.name !== qname) continue;
      const m = q.members.find((x) => x.iface.toLowerCase() === iface.toLowerCase());
      if (!m) continue;
      found = true;
      m.paused = paused;
      m.pausedReason = paused ? reason : '';
      if (paused) m.lastPause = now();
      this.pbx.updateDevice(`Queue:${q.name}_pause_${m.iface}`, paused ? 'INUSE' : 'NOT_INUSE');
      this.pbx.ami('QueueMemberPause', 'agent', this.memberFields(q, m));
      this.updateQueueDevices(q);
      this.pbx.emit('queueChanged', q);
    }
    return found;
  }

  penalty(qname: string | undefined, iface: string, penalty: number): boolean {
    let found = false;
    for (const q of this.queues.values()) {
      if (qname && q.name !== qname) continue;
      const m = q.members.find((x) => x.iface.toLowerCase() === iface.toLowerCase());
      if (!m) continue;
      found = true;
      m.penalty = penalty;
      this.pbx.ami('QueueMemberPenalty', 'agent', this.memberFields(q, m));
      this.pbx.emit('queueChanged', q);
    }
    return found;
  }
}

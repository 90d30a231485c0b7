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
  joinempty: boolean; leavewhenempty: boolean; ringinuse: boolean; autofill: boolean; musicclass: string;
  setinterfacevar: boolean; setqueuevar: boolean; setqueueentryvar: boolean; weight: number; servicelevel: number;
  members: Member[]; entries: Entry[];
  completed: number; abandoned: number; holdtime: number; talktime: number; rr: number;
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
        wrapuptime: num('wrapuptime', 0), maxlen: num('maxlen', 0), joinempty: confBool(confGet(e, 'joinempty'), true),
        leavewhenempty: confBool(confGet(e, 'leavewhenempty'), false), ringinuse: confBool(confGet(e, 'ringinuse'), true),
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

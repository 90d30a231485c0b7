/**
 * Queue(name,options,URL,announce,timeout): joins, rings members by strategy, connects the winner
 * in a basic bridge and reports AgentCalled/AgentConnect/AgentComplete in the order of capture 01.
 */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import type { Member, Queue, Entry } from '../core/queues';
import { callOutgoing, createOutgoing } from '../core/dial';
import { bridgeAdd, bridgeRemove, createBridge, destroyBridge } from '../core/bridging';
import { splitArgs } from './expr';
import type { AppResult } from './apps';
import { mohStart, mohStop } from './app-media';
import { newLeg, ringLegs, Leg } from './ringing';

const sec = (ms: number): number => Math.round(ms / 1000);

function queueVars(q: Queue): Array<[string, string]> {
  return [['QUEUENAME', q.name], ['QUEUEMAX', String(q.maxlen)], ['QUEUESTRATEGY', q.strategy], ['QUEUECALLS', String(q.entries.length)],
    ['QUEUEHOLDTIME', String(q.holdtime)], ['QUEUETALKTIME', String(q.talktime)], ['QUEUECOMPLETED', String(q.completed)],
    ['QUEUEABANDONED', String(q.abandoned)], ['QUEUESRVLEVEL', String(q.servicelevel)], ['QUEUESRVLEVELPERF', '0.0']];
}

/** Members to ring now, by strategy; lower penalties first (higher tiers only when none is free). */
export function pickMembers(sim: SimContext, q: Queue): Member[] {
  const free = q.members.filter((m) => sim.queues.isAvailable(m) && !m.ringing && !m.inCall && !inWrapup(sim, q, m));
  if (!free.length) return [];
  const minPen = Math.min(...free.map((m) => m.penalty));
  const tier = free.filter((m) => m.penalty === minPen);
  switch (q.strategy) {
    case 'ringall': return tier;
    case 'leastrecent': return [tier.slice().sort((a, b) => a.lastCall - b.lastCall)[0]];
    case 'fewestcalls': return [tier.slice().sort((a, b) => a.callsTaken - b.callsTaken)[0]];
    case 'random': return [tier[Math.floor(Math.random() * tier.length)]];
    case 'linear': return [tier[0]];
    case 'rrmemory': case 'rrordered': case 'roundrobin': default: {
      const order = q.members.filter((m) => tier.includes(m));
      const m = order[q.rr % order.length];
      q.rr = (q.members.indexOf(m) + 1) % Math.max(1, q.members.length);
      return [m];
    }
  }
}

/** Wrap-up is a wait like any other: it runs on the simulator's time scale. */
function inWrapup(sim: SimContext, q: Queue, m: Member): boolean {
  const wrap = m.wrapuptime || q.wrapuptime;
  const last = m.lastCallAt ?? m.lastCall * 1000;
  return wrap > 0 && last > 0 && Date.now() < last + wrap * 1000 * sim.timeScale;
}

function myTurn(sim: SimContext, q: Queue, e: Entry): boolean {
  const pos = q.entries.indexOf(e);
  if (pos === 0) return true;
  if (!q.autofill) return false;
  const free = q.members.filter((m) => sim.queues.isAvailable(m) && !m.ringing && !m.inCall).length;
  return pos < free;
}

export async function queueApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  // Queue(name,options,URL,announceoverride,timeout,AGI,gosub,rule,position): Asterisk 22's arguments.
  const [qname = '', options = '', , , timeoutS = '', , , , positionS = ''] = splitArgs(data);
  const { pbx, queues } = sim;
  const q = queues.queues.get(qname);
  if (!q) { sim.log.warn({ queue: qname }, 'simulator: Queue() on an unknown queue'); pbx.setVar(ch, 'QUEUESTATUS', 'UNKNOWN'); return 'next'; }
  for (const v of ['ANSWEREDTIME', 'ANSWEREDTIME_MS', 'DIALEDTIME', 'DIALEDTIME_MS', 'QUEUEWAIT', 'QUEUEWAIT_MS']) pbx.setVar(ch, v, '');
  const wrapping = (m: Member): boolean => inWrapup(sim, q, m);
  if (q.joinempty.size && queues.isEmpty(q, q.joinempty, wrapping)) { pbx.setVar(ch, 'QUEUESTATUS', 'JOINEMPTY'); return 'next'; }
  if (q.maxlen > 0 && q.entries.length >= q.maxlen) { pbx.setVar(ch, 'QUEUESTATUS', 'FULL'); return 'next'; }
  // position: 1 = the head of the queue (a caller coming back after a failed transfer).
  const position = Number(positionS);
  const at = position > 0 && position <= q.entries.length ? position - 1 : q.entries.length;
  const entry: Entry = { ch, joinedAt: Date.now(), originalPosition: at + 1 };
  q.entries.splice(at, 0, entry);
  queues.updateQueueDevices(q);
  const posFields = (): Array<[string, string]> => [['Queue', q.name], ['Position', String(q.entries.indexOf(entry) + 1)], ['Count', String(q.entries.length)]];
  pbx.ami('QueueCallerJoin', 'agent', [...ch.snapshot(), ...posFields()]);
  pbx.queueLog(ch.id, q.name, 'NONE', 'ENTERQUEUE', '', ch.caller.num, q.entries.indexOf(entry) + 1);
  mohStart(sim, ch, q.musicclass);
  const deadline = Number(timeoutS) > 0 ? Date.now() + Number(timeoutS) * 1000 * sim.timeScale : undefined;
  const leave = (): void => {
    const pos = q.entries.indexOf(entry);
    if (pos < 0) return;
    const fields = [...ch.snapshot(), ['Queue', q.name], ['Position', String(pos + 1)]] as Array<[string, string]>;
    q.entries.splice(pos, 1);
    queues.updateQueueDevices(q);
    pbx.ami('QueueCallerLeave', 'agent', [...fields, ['Count', String(q.entries.length)]]);
  };
  const fail = (status: string): AppResult => {
    const event = status === 'TIMEOUT' ? 'EXITWITHTIMEOUT' : status === 'LEAVEEMPTY' ? 'EXITEMPTY' : '';
    if (event) pbx.queueLog(ch.id, q.name, 'NONE', event, q.entries.indexOf(entry) + 1, entry.originalPosition, sec(Date.now() - entry.joinedAt));
    mohStop(sim, ch); leave(); pbx.setVar(ch, 'QUEUESTATUS', status); return 'next';
  };
  for (;;) {
    if (ch.interrupted) {
      if (ch.hungup) {
        const pos = q.entries.indexOf(entry) + 1;
        pbx.ami('QueueCallerAbandon', 'agent', [...ch.snapshot(), ['Queue', q.name], ['Position', String(pos)], ['OriginalPosition', String(entry.originalPosition)], ['HoldTime', String(sec(Date.now() - entry.joinedAt))]]);
        pbx.queueLog(ch.id, q.name, 'NONE', 'ABANDON', pos, entry.originalPosition, sec(Date.now() - entry.joinedAt));
        q.abandoned++;
        leave();
        return 'hangup';
      }
      mohStop(sim, ch); leave(); return 'next';
    }
    if (deadline !== undefined && Date.now() >= deadline) return fail('TIMEOUT');
    if (q.leavewhenempty.size && queues.isEmpty(q, q.leavewhenempty, wrapping)) return fail('LEAVEEMPTY');
    const members = myTurn(sim, q, entry) ? pickMembers(sim, q) : [];
    if (!members.length) { await ch.sleep(Math.min(100, deadline ? Math.max(0, deadline - Date.now()) : 100)); continue; }
    const legs: Array<Leg & { member: Member }> = [];
    for (const m of members) {
      const out = createOutgoing(sim, m.iface, { caller: ch, appName: 'AppQueue' });
      if (!out) continue;
      m.ringing = true;
      const leg = { ...newLeg(out, m.iface), member: m };
      legs.push(leg);
      pbx.ami('AgentCalled', 'agent', [...ch.snapshot(), ...out.snapshot('Dest'), ['Queue', q.name], ['Interface', m.iface], ['MemberName', m.name]]);
      pbx.ami('DialBegin', 'call', [...ch.snapshot(), ...out.snapshot('Dest'), ['DialString', m.iface.replace(/^[^/]+\//, '')]]);
      pbx.ari('Dial', { dialstatus: '', forward: '', dialstring: m.iface.replace(/^[^/]+\//, ''), caller: ch.toAri(), peer: out.toAri() }, { channels: [ch, out] });
      callOutgoing(sim, out, ch);
    }
    queues.updateQueueDevices(q);
    const ringMs = q.timeout * 1000 * sim.timeScale;
    const res = await ringLegs(sim, ch, legs, {
      timeoutMs: deadline !== undefined ? Math.min(ringMs, Math.max(0, deadline - Date.now())) : ringMs,
      cancelTwice: true,
      onNoAnswer: (leg) => {
        const m = (leg as Leg & { member: Member }).member;
        pbx.ami('AgentRingNoAnswer', 'agent', [...ch.snapshot(), ...leg.ch.snapshot('Dest'), ['Queue', q.name], ['Interface', m.iface], ['MemberName', m.name], ['RingTime', String(sec(Date.now() - leg.startedAt))]]);
      },
    });
    for (const l of legs) l.member.ringing = false;
    queues.updateQueueDevices(q);
    if (res.winner) return connect(sim, ch, q, entry, res.winner as Leg & { member: Member }, leave, options);
    if (!ch.interrupted) await ch.sleep(q.retry * 1000 * sim.timeScale);
  }
}

async function connect(sim: SimContext, ch: Channel, q: Queue, entry: Entry, leg: Leg & { member: Member }, leave: () => void, options: string): Promise<AppResult> {
  const { pbx, queues } = sim;
  const agent = leg.ch;
  const m = leg.member;
  mohStop(sim, ch);
  const holdMs = Date.now() - entry.joinedAt;
  const hold = sec(holdMs);
  if (q.setinterfacevar) {
    const iv: Array<[string, string]> = [['MEMBERINTERFACE', m.iface], ['MEMBERNAME', m.name], ['MEMBERCALLS', String(m.callsTaken)], ['MEMBERLASTCALL', String(m.lastCall)], ['MEMBERPENALTY', String(m.penalty)], ['MEMBERDYNAMIC', m.dynamic ? '1' : '0'], ['MEMBERREALTIME', '0']];
    for (const c of [ch, agent]) for (const [k, v] of iv) pbx.setVar(c, k, v);
  }
  if (q.setqueueentryvar) for (const c of [ch, agent]) { pbx.setVar(c, 'QEHOLDTIME', String(hold)); pbx.setVar(c, 'QEORIGINALPOS', String(entry.originalPosition)); }
  if (q.setqueuevar) for (const c of [ch, agent]) for (const [k, v] of queueVars(q)) pbx.setVar(c, k, v);
  const pos = q.entries.indexOf(entry) + 1;
  leave();
  pbx.setVar(ch, 'QUEUEPOSITION', String(pos));
  pbx.setVar(ch, 'QUEUEWAIT', String(hold));
  pbx.setVar(ch, 'QUEUEWAIT_MS', String(holdMs));
  m.inCall = true;
  const ringTime = sec(Date.now() - leg.startedAt);
  pbx.queueLog(ch.id, q.name, m.name, 'CONNECT', hold, agent.id, ringTime);
  pbx.ami('AgentConnect', 'agent', [...ch.snapshot(), ...agent.snapshot('Dest'), ['Queue', q.name], ['Interface', m.iface], ['MemberName', m.name], ['HoldTime', String(hold)], ['RingTime', String(ringTime)]]);
  const bridge = createBridge(pbx, { kind: 'basic' });
  bridge.dissolveOnLeave = true;
  // Queue option t: the called party (the operator) may transfer the caller; T: the caller may.
  bridge.canTransfer = new Set([...(options.includes('t') ? [agent] : []), ...(options.includes('T') ? [ch] : [])]);
  const talkStart = Date.now();
  let reason: string | undefined;
  /** `who`: both snapshots, the caller's only (the operator is gone), or none (the caller is gone too). */
  const complete = (why: string, who: 'both' | 'caller' | 'none'): void => {
    const talk = String(sec(Date.now() - talkStart));
    const fields: Array<[string, string]> = who === 'none' ? [] : who === 'caller' ? ch.snapshot() : [...ch.snapshot(), ...agent.snapshot('Dest')];
    pbx.ami('AgentComplete', 'agent', [...fields, ['Queue', q.name], ['Interface', m.iface], ['MemberName', m.name], ['HoldTime', String(hold)], ['TalkTime', talk], ['Reason', why]]);
    if (why === 'transfer') pbx.queueLog(ch.id, q.name, m.name, 'BLINDTRANSFER', ch.exten, ch.context, hold, talk, entry.originalPosition);
    else pbx.queueLog(ch.id, q.name, m.name, why === 'agent' ? 'COMPLETEAGENT' : 'COMPLETECALLER', hold, talk, entry.originalPosition);
    m.inCall = false;
    m.callsTaken++;
    m.lastCall = Math.floor(Date.now() / 1000);
    m.lastCallAt = Date.now();
    q.completed++;
    q.holdtime = Math.round((q.holdtime * (q.completed - 1) + hold) / q.completed);
    q.talktime = Math.round((q.talktime * (q.completed - 1) + Number(talk)) / q.completed);
    queues.updateQueueDevices(q);
  };
  // BlindTransfer (AMI or REFER) reports AgentComplete right after the BlindTransfer event.
  bridge.onTransfer = () => { if (!reason) { reason = 'transfer'; complete('transfer', 'both'); } };
  bridgeAdd(pbx, bridge, agent);
  bridgeAdd(pbx, bridge, ch);
  for (;;) {
    if (ch.hungup || ch.pendingGoto || ch.bridge !== bridge) break;
    if (!reason && !bridge.consulting && (agent.hungup || agent.bridge !== bridge)) break;
    // after an attended transfer the caller talks to the new party until one of them leaves
    if (reason && !bridge.consulting && bridge.channels.length <= 1) break;
    await ch.sleep();
  }
  if (!reason) {
    if (ch.hungup) { reason = 'caller'; complete('caller', 'both'); }
    else if (ch.pendingGoto) {
      // Redirect: AgentComplete waits until the call really ends (README). An operator redirected along
      // with the caller (dual Redirect, capture 11) ends it with Reason=agent when he hangs up; one left
      // behind is hung up at once and does not count, so the caller's final hangup ends it with
      // Reason=caller. A PJSIP caller is still named then (capture 09 A), a Local ;2 is not (capture 05).
      reason = 'caller';
      const agentStays = agent.pbxRunning || agent.pendingGoto !== undefined;
      // the operator's end: leaving the conference room (ConfbridgeLeave, then AgentComplete), else his hangup
      const onAgentLeaves = (c: Channel): void => { if (agentStays && c === agent && !ch.hungup) { off(); complete('agent', 'both'); } };
      const onHangup = (c: Channel): void => {
        if (c === agent && agent.bridge?.kind !== 'confbridge') onAgentLeaves(c);
        else if (c === ch && ch.tech !== 'Local') { off(); complete('caller', 'caller'); }
      };
      const onGone = (c: Channel): void => { if (c === ch) { off(); complete('caller', 'none'); } };
      const off = (): void => { pbx.off('hangupRequested', onHangup); pbx.off('destroyed', onGone); pbx.off('confbridgeLeave', onAgentLeaves); };
      pbx.on('hangupRequested', onHangup);
      pbx.on('destroyed', onGone);
      pbx.on('confbridgeLeave', onAgentLeaves);
    } else { reason = 'agent'; complete('agent', 'both'); }
  }
  const endVars = (): void => {
    if (ch.hungup && !ch.pbxRunning) return;
    for (const [k, v] of queueVars(q)) pbx.setVar(ch, k, v);
    const answered = leg.answeredAt ?? talkStart;
    pbx.setVar(ch, 'ANSWEREDTIME', String(sec(Date.now() - answered)));
    pbx.setVar(ch, 'ANSWEREDTIME_MS', String(Date.now() - answered));
    pbx.setVar(ch, 'DIALEDTIME', String(sec(Date.now() - entry.joinedAt)));
    pbx.setVar(ch, 'DIALEDTIME_MS', String(Date.now() - entry.joinedAt));
  };
  // the party that hung up leaves first
  if (agent.hungup && agent.bridge === bridge) bridgeRemove(pbx, bridge, agent);
  if (ch.bridge === bridge) bridgeRemove(pbx, bridge, ch);
  endVars();
  if (!agent.hungup && agent.bridge === bridge && !agent.afterBridge && !agent.pendingGoto) { bridgeRemove(pbx, bridge, agent); pbx.hangup(agent, 16, 'silent'); }
  if (!bridge.destroyed && !bridge.channels.length) destroyBridge(pbx, bridge);
  if (ch.pendingGoto) return 'jump';
  // Without option c, Asterisk hangs the caller up when the operator leaves (SoftHangupRequest Cause=16
  // then Hangup Cause=16, capture 08b); with c the caller continues in the dialplan.
  if (!ch.hungup && reason === 'agent' && !options.includes('c')) {
    pbx.hangup(ch, 16, 'soft');
    return 'hangup';
  }
  return ch.hungup ? 'hangup' : 'next';
}

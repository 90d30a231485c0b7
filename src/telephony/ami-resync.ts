/**
 * Resync: Asterisk does not replay what happened while we were disconnected, so after every
 * (re)connect we take a snapshot (CoreShowChannels, QueueStatus, PJSIPShowEndpoints) and emit the
 * differences against our view as synthetic events. Consumers then converge without special cases.
 */
import { AmiFrame, num, str } from './ami-frames';
import { AmiView, ChannelView } from './ami-view';
import { deviceStatusText, TelephonyEvent } from './events';

export interface AmiSnapshot {
  channels: AmiFrame[];
  queueEntries: AmiFrame[];
  members: AmiFrame[];
  /** Undefined when the server has no chan_pjsip (the action then fails). */
  endpoints?: AmiFrame[];
  /** Asterisk restarted while we were away (its start-up time changed). */
  restarted: boolean;
}

/** `PJSIP/1001-0000000a` → `PJSIP/1001`, `Local/8001@operators-00000002;1` → `Local/8001@operators`. */
export function interfaceOfChannel(name: string): string {
  return name.replace(/-[0-9a-f]{8}(;\d)?$/i, '');
}

/**
 * @param sinceSeq view sequence number when the snapshot was requested: channels touched by live
 *   events after that point are newer than the snapshot and are left alone.
 * @param endedDuringResync channels whose Hangup arrived while the snapshot was in flight.
 */
export function reconcile(view: AmiView, snap: AmiSnapshot, sinceSeq: number, endedDuringResync: Set<string>): TelephonyEvent[] {
  const out: TelephonyEvent[] = [];
  const reason = snap.restarted ? 'restart' : 'resync';
  const syn = (init: { type: TelephonyEvent['type'] } & Record<string, unknown>) =>
    out.push({ ...view.make(init), synthetic: true, reason } as TelephonyEvent);

  const snapChannels = new Map<string, AmiFrame>();
  for (const f of snap.channels) {
    const id = str(f, 'uniqueid');
    if (id) snapChannels.set(id, f);
  }
  const entryQueue = new Map<string, { queue: string; position?: number }>();
  for (const e of snap.queueEntries) {
    const id = str(e, 'uniqueid');
    if (id) entryQueue.set(id, { queue: str(e, 'queue') ?? '', position: num(e, 'position') });
  }
  const snapMembers = new Map<string, AmiFrame>();
  for (const m of snap.members) snapMembers.set(AmiView.memberKey(str(m, 'queue') ?? '', str(m, 'location') ?? ''), m);

  const refOf = (c: ChannelView) => ({ channelId: c.channelId, channel: c.channel, linkedId: c.linkedId });

  // 1. Channels that ended while we were away: close everything that hung off them, then the channel.
  for (const c of [...view.channels.values()]) {
    if (snapChannels.has(c.channelId) || c.seq > sinceSeq) continue;
    if (c.queue) syn({ type: 'CallerLeftQueue', ...refOf(c), queue: c.queue });
    if (c.bridgeId) syn({ type: 'BridgeLeft', ...refOf(c), bridgeId: c.bridgeId });
    if (c.recording) syn({ type: 'RecordingFinished', via: 'mixmonitor', channelId: c.channelId, channel: c.channel,
      file: typeof c.recording === 'string' ? c.recording : undefined, state: 'lost' });
    for (const [key, a] of view.answered) {
      if (a.channelId !== c.channelId) continue;
      const [queue, iface] = key.split('\u0000');
      const m = view.members.get(AmiView.memberKey(queue, iface));
      syn({ type: 'CallCompleted', queue, memberInterface: m?.memberInterface ?? iface, memberName: m?.memberName,
        ...refOf(c), completionReason: 'unknown', correlatedBy: 'member', memberChannelId: a.memberChannelId });
      view.answered.delete(key);
    }
    view.channels.delete(c.channelId);
    syn({ type: 'ChannelHungUp', ...refOf(c), cause: 0, causeText: snap.restarted ? 'Asterisk restarted' : 'Ended while disconnected' });
  }

  // 2. Channels we did not know, and channels whose state, queue or bridge changed.
  for (const [id, f] of snapChannels) {
    if (endedDuringResync.has(id)) continue;
    let c = view.channels.get(id);
    if (c && c.seq > sinceSeq) continue;
    const state = str(f, 'channelstatedesc') ?? '';
    const bridgeId = str(f, 'bridgeid') || undefined;
    const inQueue = entryQueue.get(id);
    if (!c) {
      c = { channelId: id, channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid'), state,
        callerNumber: str(f, 'calleridnum'), seq: view.seq };
      view.channels.set(id, c);
      // A channel that began while we were away: its age (Duration) dates it.
      const at = startedAt(f);
      syn({ type: 'ChannelCreated', ...refOf(c), state, callerNumber: c.callerNumber, context: str(f, 'context'), exten: str(f, 'exten'), ...(at ? { at } : {}) });
      // A caller that joined a queue and was answered while we were away is still in Queue(), bridged
      // to the member's leg: report the join and the answer so its record is complete.
      const queue = str(f, 'application') === 'Queue' ? (str(f, 'applicationdata') ?? '').split(',')[0] : '';
      if (queue && bridgeId && !inQueue) {
        syn({ type: 'CallerJoinedQueue', ...refOf(c), queue, position: 0, callerNumber: c.callerNumber, ...(at ? { at } : {}) });
        syn({ type: 'CallerLeftQueue', ...refOf(c), queue });
        inferAnswer(view, c, queue, bridgeId, snapChannels, snapMembers, syn);
      }
    } else if (c.state !== state) {
      syn({ type: 'ChannelStateChanged', ...refOf(c), state, previousState: c.state });
      c.state = state;
    }
    if (c.queue && c.queue !== inQueue?.queue) {
      const queue = c.queue;
      c.queue = undefined;
      syn({ type: 'CallerLeftQueue', ...refOf(c), queue });
      if (bridgeId) inferAnswer(view, c, queue, bridgeId, snapChannels, snapMembers, syn);
    }
    if (inQueue && c.queue !== inQueue.queue) {
      c.queue = inQueue.queue;
      syn({ type: 'CallerJoinedQueue', ...refOf(c), queue: inQueue.queue, position: inQueue.position ?? 0, callerNumber: c.callerNumber });
    }
    if (c.bridgeId !== bridgeId) {
      if (c.bridgeId) syn({ type: 'BridgeLeft', ...refOf(c), bridgeId: c.bridgeId });
      if (bridgeId) syn({ type: 'BridgeEntered', ...refOf(c), bridgeId });
      c.bridgeId = bridgeId;
    }
  }

  // 3. Queue members.
  for (const [key, m] of view.members) {
    if (snapMembers.has(key)) continue;
    view.members.delete(key);
    syn({ type: 'QueueMemberRemoved', queue: m.queue, memberInterface: m.memberInterface, memberName: m.memberName });
  }
  for (const [key, f] of snapMembers) {
    const queue = str(f, 'queue') ?? '';
    const memberInterface = str(f, 'location') ?? '';
    const memberName = str(f, 'name');
    const paused = str(f, 'paused') === '1';
    const status = num(f, 'status') ?? 0;
    const inCall = str(f, 'incall') === '1';
    const prev = view.members.get(key);
    view.members.set(key, { queue, memberInterface, memberName, paused, status, inCall });
    const ref = { queue, memberInterface, memberName };
    if (!prev) {
      syn({ type: 'QueueMemberAdded', ...ref, paused, penalty: num(f, 'penalty'), membership: str(f, 'membership') });
      syn({ type: 'QueueMemberStatusChanged', ...ref, status, statusText: deviceStatusText(status), inCall });
      continue;
    }
    if (prev.paused !== paused) syn({ type: 'QueueMemberPaused', ...ref, paused, pauseReason: str(f, 'pausedreason') || undefined });
    if (prev.status !== status || prev.inCall !== inCall) syn({ type: 'QueueMemberStatusChanged', ...ref, status, statusText: deviceStatusText(status), inCall });
  }

  // 4. Endpoints (PJSIP only).
  if (snap.endpoints) {
    for (const e of snap.endpoints) {
      const name = str(e, 'objectname');
      if (!name) continue;
      const endpoint = 'PJSIP/' + name;
      const reachable = str(e, 'devicestate') !== 'Unavailable';
      if (view.endpoints.get(endpoint) === reachable) continue;
      view.endpoints.set(endpoint, reachable);
      syn({ type: reachable ? 'EndpointReachable' : 'EndpointUnreachable', endpoint });
    }
  }
  return out;
}

/** When a channel began, from CoreShowChannel's Duration (HH:MM:SS); undefined when absent. */
function startedAt(f: AmiFrame): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(str(f, 'duration') ?? '');
  return m ? Date.now() - (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : undefined;
}

/**
 * A caller that was queued when we left and is bridged now was answered while we were away. The
 * queue's member is found from the other bridged channel's name; without it there is no AgentConnect
 * to correlate the later AgentComplete with.
 */
function inferAnswer(
  view: AmiView, caller: ChannelView, queue: string, bridgeId: string,
  snapChannels: Map<string, AmiFrame>, snapMembers: Map<string, AmiFrame>,
  syn: (init: { type: TelephonyEvent['type'] } & Record<string, unknown>) => void,
): void {
  for (const [id, f] of snapChannels) {
    if (id === caller.channelId || str(f, 'bridgeid') !== bridgeId) continue;
    const name = str(f, 'channel') ?? '';
    const key = AmiView.memberKey(queue, interfaceOfChannel(name));
    const member = snapMembers.get(key);
    if (!member) continue;
    const memberInterface = str(member, 'location') ?? interfaceOfChannel(name);
    view.answered.set(AmiView.answerKey(queue, memberInterface, id), { channelId: caller.channelId, channel: caller.channel, linkedId: caller.linkedId, memberChannelId: id });
    syn({ type: 'OperatorAnswered', channelId: caller.channelId, channel: caller.channel, linkedId: caller.linkedId, queue,
      memberInterface, memberName: str(member, 'name'), memberChannel: name, memberChannelId: id });
    return;
  }
}

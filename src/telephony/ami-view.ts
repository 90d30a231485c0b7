/**
 * The AMI adapter's view of one Asterisk: live channels, queue callers, members, endpoints, and the
 * mapping of AMI frames to domain events. Resync (ami-resync.ts) diffs a fresh snapshot against it.
 */
import { AmiFrame, FramePeek, num as numImport, str as strImport } from './ami-frames';
import { deviceStatusText, TelephonyEvent } from './events';

// Module-local copies: compiled to CommonJS, each use of an imported function is a property read
// through the other module's getter, and these run a dozen times per frame.
const str = strImport;
const num = numImport;

export interface ChannelView {
  channelId: string;
  channel: string;
  linkedId?: string;
  state: string;
  callerNumber?: string;
  bridgeId?: string;
  queue?: string;
  /** File name when we know it (our own MixMonitor command), `true` when only the start is known. */
  recording?: string | true;
  /** View sequence number of the last live event about this channel (resync race guard). */
  seq: number;
}
export interface MemberView {
  queue: string;
  memberInterface: string;
  memberName?: string;
  paused: boolean;
  status: number;
  inCall: boolean;
}
interface AnsweredRef {
  channelId?: string;
  channel?: string;
  linkedId?: string;
  /** The member's own channel (AgentConnect DestUniqueid): what AgentComplete's Dest* names. */
  memberChannelId?: string;
}

/** Events the mapper turns into domain events; everything else is skipped unparsed. */
export const MAPPED_EVENTS = new Set([
  'Newchannel', 'Newstate', 'Hangup', 'QueueCallerJoin', 'QueueCallerLeave', 'QueueCallerAbandon',
  'AgentCalled', 'AgentConnect', 'AgentComplete', 'BridgeEnter', 'BridgeLeave', 'MixMonitorStart',
  'MixMonitorStop', 'BlindTransfer', 'AttendedTransfer', 'QueueMemberAdded', 'QueueMemberRemoved',
  'QueueMemberPause', 'QueueMemberStatus', 'PeerStatus', 'DTMFEnd', 'OriginateResponse', 'VarSet',
]);

/**
 * Variables whose VarSet becomes a `VariableSet` event: what the dialplan reports (HOTLINE_*), and
 * MixMonitor's file name, which fills in `RecordingStarted.file` for recordings the dialplan started.
 */
export const WATCHED_VARIABLES: ReadonlySet<string> = new Set(['HOTLINE_OUTCOME', 'HOTLINE_CENTRE', 'HOTLINE_QUEUE', 'HOTLINE_OVERFLOW', 'HOTLINE_TRANSFER_RESULT', 'HOTLINE_TICKET', 'HOTLINE_SATISFACTION']);

/**
 * VarSet is more than half of a real stream and almost all of it is noise (BRIDGEPEER, RTPAUDIOQOS,
 * QUEUE*, MEMBER*…): decide from the `Variable:` line alone and leave the rest of the frame unparsed.
 * A frame written differently (lowercase key, no space) is parsed in full, to be safe.
 */
export function peekVarSet(buf: string, start: number, end: number): boolean {
  const at = buf.indexOf('\nVariable: ', start);
  if (at < 0 || at >= end) return true;
  const from = at + 11;
  let to = buf.indexOf('\n', from);
  if (to < 0 || to > end) to = end;
  if (buf.charCodeAt(to - 1) === 13) to--;
  // Every watched name starts with H or M (HOTLINE_*, MIXMONITOR_FILENAME): most noise is decided
  // without cutting its name out of the chunk. Inherited variables keep their `_`/`__` prefix in
  // VarSet (`__HOTLINE_CENTRE`, capture 13): skip it.
  let s = from;
  while (s < to && s < from + 2 && buf.charCodeAt(s) === 95) s++;
  const c = buf.charCodeAt(s);
  if (c !== 72 && c !== 77) return false;
  const name = buf.slice(s, to);
  return name === 'MIXMONITOR_FILENAME' || WATCHED_VARIABLES.has(name);
}

/**
 * Every header `apply()` reads (lowercase), plus what the connection classifies frames by. The parser
 * turns only these into strings for live events (a Newchannel has 18 headers, the view reads 7);
 * list items and responses keep all of theirs. A header read in `apply()` must be listed here.
 */
export const VIEW_HEADERS: ReadonlySet<string> = new Set([
  'event', 'actionid', 'eventlist', 'response',
  'uniqueid', 'channel', 'linkedid', 'queue', 'position', 'originalposition', 'calleridnum', 'holdtime',
  'ringtime', 'talktime', 'interface', 'membername', 'destchannel', 'destuniqueid', 'bridgeuniqueid',
  'result', 'transfereruniqueid', 'transfererchannel', 'transfereeuniqueid', 'transfereechannel',
  'origtransfereruniqueid', 'origtransfererchannel', 'transfertargetcontext', 'transfertargetexten',
  'destbridgeuniqueid', 'origbridgeuniqueid', 'context', 'extension', 'exten', 'isexternal', 'peer',
  'peerstatus', 'direction', 'digit', 'variable', 'value', 'reason', 'channelstatedesc', 'cause',
  'cause-txt', 'paused', 'pausedreason', 'status', 'incall', 'penalty', 'membership', 'destlinkedid',
  'transfertargetchannel', 'secondtransfererchannel', 'transfertargetchannelstate',
]);

const REF = ['uniqueid', 'channel', 'linkedid'];
const MEMBER = ['queue', 'interface', 'membername'];
/**
 * Per mapped event, the headers its case in `apply()` reads (with what the connection classifies
 * by); an event not listed here gets all of VIEW_HEADERS. Keep in step with `apply()`.
 */
export const EVENT_HEADERS: Record<string, ReadonlySet<string>> = Object.fromEntries(Object.entries({
  Newchannel: [...REF, 'channelstatedesc', 'calleridnum', 'context', 'exten'],
  Newstate: [...REF, 'channelstatedesc'],
  Hangup: [...REF, 'cause', 'cause-txt'],
  QueueCallerJoin: [...REF, 'queue', 'position', 'calleridnum'],
  QueueCallerLeave: [...REF, 'queue', 'position'],
  QueueCallerAbandon: [...REF, 'queue', 'position', 'originalposition', 'holdtime'],
  AgentCalled: [...REF, ...MEMBER, 'destchannel', 'calleridnum'],
  AgentConnect: [...REF, ...MEMBER, 'destchannel', 'destuniqueid', 'holdtime', 'ringtime'],
  AgentComplete: [...REF, ...MEMBER, 'destchannel', 'destuniqueid', 'destlinkedid', 'holdtime', 'talktime', 'reason'],
  BridgeEnter: [...REF, 'bridgeuniqueid'],
  BridgeLeave: [...REF, 'bridgeuniqueid'],
  QueueMemberStatus: [...MEMBER, 'paused', 'status', 'incall'],
  VarSet: [...REF, 'variable', 'value'],
}).map(([name, keys]) => [name, new Set(['event', 'actionid', 'eventlist', 'response', ...keys])]));
for (const keys of Object.values(EVENT_HEADERS)) for (const k of keys) if (!VIEW_HEADERS.has(k)) throw new Error(`EVENT_HEADERS: ${k} missing from VIEW_HEADERS`);

for (const v of WATCHED_VARIABLES) if (v[0] !== 'H' && v[0] !== 'M') throw new Error(`peekVarSet needs to know ${v}`);

/** Wanted events the frame parser may still skip after a look at their raw text. */
export const FRAME_PEEKS: Record<string, FramePeek> = { VarSet: peekVarSet };

/** Events Asterisk 22 sends that we deliberately ignore (not "unknown", just not needed). */
export const IGNORED_EVENTS = new Set([
  'DeviceStateChange', 'Newexten', 'NewConnectedLine', 'NewCallerid', 'DialBegin', 'DialEnd',
  'DialState', 'SoftHangupRequest', 'HangupRequest', 'RTCPSent', 'RTCPReceived', 'SuccessfulAuth',
  'ChallengeSent', 'FullyBooted', 'MusicOnHoldStart', 'MusicOnHoldStop', 'LocalBridge', 'BridgeCreate',
  'BridgeDestroy', 'BridgeMerge', 'ContactStatus', 'Hold', 'Unhold', 'DTMFBegin', 'RequestBadFormat',
  'ChanSpyStart', 'ChanSpyStop', 'ConfbridgeStart', 'ConfbridgeEnd', 'ConfbridgeJoin', 'ConfbridgeLeave',
  'ConfbridgeTalking', 'LocalOptimizationBegin', 'LocalOptimizationEnd', 'QueueMemberPenalty',
  'AgentRingNoAnswer', 'AgentDump', 'Cdr', 'Cel', 'Registry', 'InvalidPassword', 'FailedACL',
  'InvalidAccountID', 'ChallengeResponseFailed', 'UnexpectedAddress', 'Reload', 'Shutdown', 'UserEvent',
  'NewAccountCode', 'Rename', 'AOC-D', 'AOC-E', 'AOC-S', 'Pickup', 'ParkedCall', 'UnParkedCall',
  'MessageWaiting', 'LoadAverageLimit', 'ModuleLoadReport', 'DAHDIChannel', 'MCID', 'SessionTimeout',
  'QueueParams', 'QueueMember', 'QueueEntry', 'QueueStatusComplete', 'QueueSummary', 'QueueSummaryComplete',
  'CoreShowChannel', 'CoreShowChannelsComplete', 'EndpointList', 'EndpointListComplete',
]);

type Emit = (e: TelephonyEvent) => void;
type Init = { type: TelephonyEvent['type'] } & Record<string, unknown>;

const MAX_ANSWERED = 20_000;

export class AmiView {
  readonly channels = new Map<string, ChannelView>();
  readonly members = new Map<string, MemberView>();
  readonly endpoints = new Map<string, boolean>();
  /**
   * queue + member interface + the member's channel id → the caller the member answered, for
   * AgentComplete without the caller's ids. A member may have several: after a transfer the operator
   * answers the next call while Asterisk still owes the AgentComplete of the previous one.
   */
  readonly answered = new Map<string, AnsweredRef>();
  /** Files named by our own MixMonitor commands, by channel name, until MixMonitorStart arrives. */
  readonly pendingRecordingFiles = new Map<string, string>();
  seq = 0;
  /** Set while a resync snapshot is in flight: channels whose Hangup arrived meanwhile. */
  endedDuringResync: Set<string> | null = null;

  /**
   * `ownsAction`: whether an ActionID is one this session sent. Asterisk sends OriginateResponse to
   * every AMI session, so another instance's originate must not read as ours.
   */
  constructor(private readonly serverId: string, private readonly emit: Emit, private readonly ownsAction: (actionId: string) => boolean = () => true) {}

  make(init: Init): TelephonyEvent {
    return { serverId: this.serverId, source: 'ami', at: Date.now(), ...init } as unknown as TelephonyEvent;
  }

  private out(init: Init): void {
    this.emit(this.make(init));
  }

  static memberKey(queue: string, iface: string): string {
    return queue + '\u0000' + iface.toLowerCase();
  }

  /** Key of one answered call in `answered`: the member key plus the member's channel id. */
  static answerKey(queue: string, iface: string, memberChannelId: string | undefined): string {
    return AmiView.memberKey(queue, iface) + '\u0000' + (memberChannelId ?? '');
  }

  /** Apply one event frame. Returns false when the frame had no meaning for the view. */
  apply(f: AmiFrame): boolean {
    const name = str(f, 'event');
    this.seq++;
    switch (name) {
      case 'Newchannel': return this.newChannel(f);
      case 'Newstate': return this.newState(f);
      case 'Hangup': return this.hangup(f);
      case 'QueueCallerJoin': {
        const c = this.touch(f);
        const queue = str(f, 'queue') ?? '';
        if (c) c.queue = queue;
        this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'CallerJoinedQueue',
          channelId: str(f, 'uniqueid') ?? '', channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid'),
          queue, position: num(f, 'position') ?? 0, callerNumber: str(f, 'calleridnum') });
        return true;
      }
      case 'QueueCallerLeave': {
        const c = this.touch(f);
        if (c) c.queue = undefined;
        this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'CallerLeftQueue',
          channelId: str(f, 'uniqueid') ?? '', channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid'),
          queue: str(f, 'queue') ?? '', position: num(f, 'position') });
        return true;
      }
      case 'QueueCallerAbandon':
        this.touch(f);
        this.out({ type: 'CallerAbandoned', ...this.ref(f), queue: str(f, 'queue') ?? '', position: num(f, 'position'),
          originalPosition: num(f, 'originalposition'), holdTimeSec: num(f, 'holdtime') });
        return true;
      case 'AgentCalled':
        this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'MemberRinging',
          channelId: str(f, 'uniqueid') ?? '', channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid'),
          queue: str(f, 'queue') ?? '', memberInterface: str(f, 'interface') ?? '', memberName: str(f, 'membername'),
          memberChannel: str(f, 'destchannel'), callerNumber: str(f, 'calleridnum') });
        return true;
      case 'AgentConnect': return this.agentConnect(f);
      case 'AgentComplete': return this.agentComplete(f);
      case 'BridgeEnter':
      case 'BridgeLeave': {
        const c = this.touch(f);
        const bridgeId = str(f, 'bridgeuniqueid') ?? '';
        if (c) c.bridgeId = name === 'BridgeEnter' ? bridgeId : undefined;
        this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: name === 'BridgeEnter' ? 'BridgeEntered' : 'BridgeLeft',
          channelId: str(f, 'uniqueid') ?? '', channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid'), bridgeId });
        return true;
      }
      case 'MixMonitorStart': {
        const c = this.touch(f);
        const chan = str(f, 'channel') ?? '';
        const file = this.pendingRecordingFiles.get(chan);
        this.pendingRecordingFiles.delete(chan);
        if (c) c.recording = file ?? true;
        this.out({ type: 'RecordingStarted', via: 'mixmonitor', channelId: str(f, 'uniqueid'), channel: chan, file });
        return true;
      }
      case 'MixMonitorStop': {
        const c = this.touch(f);
        const file = c && typeof c.recording === 'string' ? c.recording : undefined;
        if (c) c.recording = undefined;
        this.out({ type: 'RecordingFinished', via: 'mixmonitor', channelId: str(f, 'uniqueid'), channel: str(f, 'channel'), file, state: 'stopped' });
        return true;
      }
      case 'BlindTransfer':
        this.out({ type: 'Transfer', kind: 'blind', result: str(f, 'result') ?? '',
          transfererChannelId: str(f, 'transfereruniqueid'), transfererChannel: str(f, 'transfererchannel'),
          transfereeChannelId: str(f, 'transfereeuniqueid'), transfereeChannel: str(f, 'transfereechannel'),
          targetContext: str(f, 'context'), targetExten: str(f, 'extension'), bridgeId: str(f, 'bridgeuniqueid'),
          external: str(f, 'isexternal') === 'Yes' });
        return true;
      case 'AttendedTransfer':
        this.out({ type: 'Transfer', kind: 'attended', result: str(f, 'result') ?? '',
          transfererChannelId: str(f, 'origtransfereruniqueid'), transfererChannel: str(f, 'origtransfererchannel'),
          transfereeChannelId: str(f, 'transfereeuniqueid'), transfereeChannel: str(f, 'transfereechannel'),
          targetContext: str(f, 'transfertargetcontext'), targetExten: str(f, 'transfertargetexten'),
          bridgeId: str(f, 'destbridgeuniqueid') ?? str(f, 'origbridgeuniqueid'), external: str(f, 'isexternal') === 'Yes',
          targetChannel: str(f, 'transfertargetchannel'), secondTransfererChannel: str(f, 'secondtransfererchannel'),
          targetAnswered: str(f, 'transfertargetchannelstate') === undefined ? undefined : str(f, 'transfertargetchannelstate') === '6' });
        return true;
      case 'QueueMemberAdded': case 'QueueMemberRemoved': case 'QueueMemberPause': case 'QueueMemberStatus':
        return this.memberEvent(name, f);
      case 'PeerStatus': {
        const peer = str(f, 'peer') ?? '';
        const status = str(f, 'peerstatus') ?? '';
        const reachable = status === 'Reachable' || status === 'Registered' || status === 'Lagged';
        if (status !== 'Reachable' && status !== 'Unreachable' && status !== 'Registered' && status !== 'Unregistered' && status !== 'Lagged') return false;
        if (this.endpoints.get(peer) === reachable) return true;
        this.endpoints.set(peer, reachable);
        this.out({ type: reachable ? 'EndpointReachable' : 'EndpointUnreachable', endpoint: peer });
        return true;
      }
      case 'DTMFEnd':
        if (str(f, 'direction') !== 'Received') return true;
        this.out({ type: 'DtmfReceived', ...this.ref(f), digit: str(f, 'digit') ?? '' });
        return true;
      case 'VarSet': {
        const variable = (str(f, 'variable') ?? '').replace(/^_{1,2}/, '');
        const chan = str(f, 'channel');
        if (variable === 'MIXMONITOR_FILENAME' && chan) {
          // A MixMonitor we started keeps the name we gave it; one the dialplan started takes Asterisk's path.
          if (!this.pendingRecordingFiles.has(chan)) this.pendingRecordingFiles.set(chan, str(f, 'value') ?? '');
          return true;
        }
        if (!WATCHED_VARIABLES.has(variable) || !chan) return true;
        this.out({ type: 'VariableSet', ...this.ref(f), name: variable, value: str(f, 'value') ?? '' });
        return true;
      }
      case 'OriginateResponse':
        if (!this.ownsAction(str(f, 'actionid') ?? '')) return true;
        this.out({ type: 'OriginateResult', actionId: str(f, 'actionid') ?? '', success: str(f, 'response') === 'Success',
          channelId: str(f, 'uniqueid'), channel: str(f, 'channel'), reasonCode: num(f, 'reason') });
        return true;
      default:
        return false;
    }
  }

  private ref(f: AmiFrame): { channelId: string; channel: string; linkedId?: string } {
    return { channelId: str(f, 'uniqueid') ?? '', channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid') };
  }

  private member(f: AmiFrame): { queue: string; memberInterface: string; memberName?: string } {
    return { queue: str(f, 'queue') ?? '', memberInterface: str(f, 'interface') ?? '', memberName: str(f, 'membername') };
  }

  private touch(f: AmiFrame): ChannelView | undefined {
    const id = str(f, 'uniqueid');
    const c = id === undefined ? undefined : this.channels.get(id);
    if (c) c.seq = this.seq;
    return c;
  }

  // The frequent events are built as literals (the same keys as `out({...this.ref(f), …})` would
  // give): spreading two objects into a third costs more than the parsing of the frame.
  private newChannel(f: AmiFrame): boolean {
    const channelId = str(f, 'uniqueid') ?? '';
    if (!channelId) return false;
    const channel = str(f, 'channel') ?? '';
    const linkedId = str(f, 'linkedid');
    const state = str(f, 'channelstatedesc') ?? '';
    const callerNumber = str(f, 'calleridnum');
    this.channels.set(channelId, { channelId, channel, linkedId, state, callerNumber, seq: this.seq });
    this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'ChannelCreated', channelId, channel, linkedId,
      state, callerNumber, context: str(f, 'context'), exten: str(f, 'exten') });
    return true;
  }

  private newState(f: AmiFrame): boolean {
    const channelId = str(f, 'uniqueid');
    const c = channelId === undefined ? undefined : this.channels.get(channelId);
    if (c) c.seq = this.seq;
    const state = str(f, 'channelstatedesc') ?? '';
    const previousState = c?.state;
    if (c) c.state = state;
    this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'ChannelStateChanged',
      channelId: channelId ?? '', channel: str(f, 'channel') ?? '', linkedId: str(f, 'linkedid'), state, previousState });
    return true;
  }

  private hangup(f: AmiFrame): boolean {
    const r = this.ref(f);
    const c = this.channels.get(r.channelId);
    this.channels.delete(r.channelId);
    this.endedDuringResync?.add(r.channelId);
    if (c?.recording) {
      // Asterisk sends no MixMonitorStop when the channel hangs up with a recording running.
      this.out({ type: 'RecordingFinished', via: 'mixmonitor', channelId: r.channelId, channel: r.channel,
        file: typeof c.recording === 'string' ? c.recording : undefined, state: 'hangup' });
    }
    this.pendingRecordingFiles.delete(r.channel);
    this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'ChannelHungUp', channelId: r.channelId,
      channel: r.channel, linkedId: r.linkedId, cause: num(f, 'cause') ?? 0, causeText: str(f, 'cause-txt') ?? '' });
    return true;
  }

  private agentConnect(f: AmiFrame): boolean {
    const m = this.member(f);
    const r = this.ref(f);
    const memberChannelId = str(f, 'destuniqueid');
    this.answered.set(AmiView.answerKey(m.queue, m.memberInterface, memberChannelId), { channelId: r.channelId || undefined, channel: r.channel || undefined, linkedId: r.linkedId, memberChannelId });
    if (this.answered.size > MAX_ANSWERED) this.answered.delete(this.answered.keys().next().value as string);
    this.out({ type: 'OperatorAnswered', ...r, ...m, memberChannel: str(f, 'destchannel'), memberChannelId,
      holdTimeSec: num(f, 'holdtime'), ringTimeSec: num(f, 'ringtime') });
    return true;
  }

  /**
   * AgentComplete names the caller (Channel/Uniqueid) most of the time. When it does not (2–7 % of
   * calls, more under load) it is matched by what it still carries: the member's own channel
   * (DestUniqueid) or the call (DestLinkedid). Only when it carries none of them, and the member has
   * exactly one answered call outstanding, is the member enough; otherwise it stays uncorrelated
   * rather than credited to the member's latest call.
   */
  private agentComplete(f: AmiFrame): boolean {
    const m = this.member(f);
    const prefix = AmiView.memberKey(m.queue, m.memberInterface) + '\u0000';
    const mine = [...this.answered.entries()].filter(([k]) => k.startsWith(prefix));
    let channelId = str(f, 'uniqueid');
    let channel = str(f, 'channel');
    let linkedId = str(f, 'linkedid');
    const destId = str(f, 'destuniqueid');
    const destLinked = str(f, 'destlinkedid');
    let correlatedBy: 'uniqueid' | 'dest' | 'member' | 'none' = 'uniqueid';
    let found: [string, AnsweredRef] | undefined;
    if (channelId) found = mine.find(([, a]) => a.channelId === channelId);
    else {
      found = (destId ? mine.find(([, a]) => a.memberChannelId === destId) : undefined)
        ?? (destLinked ? mine.find(([, a]) => a.linkedId === destLinked) : undefined);
      if (found || destLinked) correlatedBy = 'dest';
      else if (!destId && mine.length === 1) { found = mine[0]; correlatedBy = 'member'; }
      else correlatedBy = 'none';
      if (correlatedBy !== 'none') {
        channelId = found?.[1].channelId;
        channel = channel || found?.[1].channel;
        linkedId = linkedId || found?.[1].linkedId || destLinked;
      }
    }
    if (found) this.answered.delete(found[0]);
    this.out({ type: 'CallCompleted', ...m, channelId, channel, linkedId, memberChannelId: destId ?? found?.[1].memberChannelId,
      holdTimeSec: num(f, 'holdtime'), talkTimeSec: num(f, 'talktime'), completionReason: str(f, 'reason') ?? '', correlatedBy });
    return true;
  }

  private memberEvent(name: string, f: AmiFrame): boolean {
    const queue = str(f, 'queue') ?? '';
    const memberInterface = str(f, 'interface') ?? '';
    const memberName = str(f, 'membername');
    const key = AmiView.memberKey(queue, memberInterface);
    const paused = str(f, 'paused') === '1';
    const status = num(f, 'status') ?? 0;
    const inCall = str(f, 'incall') === '1';
    const prev = this.members.get(key);
    if (name === 'QueueMemberStatus') {
      // The most frequent member event (every device state change): no intermediate objects.
      this.members.set(key, { queue, memberInterface, memberName, paused, status, inCall });
      if (!prev || prev.status !== status || prev.inCall !== inCall) {
        this.emit({ serverId: this.serverId, source: 'ami', at: Date.now(), type: 'QueueMemberStatusChanged',
          queue, memberInterface, memberName, status, statusText: deviceStatusText(status), inCall });
      }
      return true;
    }
    const m = { queue, memberInterface, memberName };
    if (name === 'QueueMemberRemoved') {
      this.members.delete(key);
      this.out({ type: 'QueueMemberRemoved', ...m });
      return true;
    }
    this.members.set(key, { ...m, paused, status, inCall });
    if (name === 'QueueMemberAdded') {
      this.out({ type: 'QueueMemberAdded', ...m, paused, penalty: num(f, 'penalty'), membership: str(f, 'membership') });
    } else if (name === 'QueueMemberPause') {
      this.out({ type: 'QueueMemberPaused', ...m, paused, pauseReason: str(f, 'pausedreason') || undefined });
    } else if (!prev || prev.status !== status || prev.inCall !== inCall) {
      // QueueMemberStatus repeats for every device state change; only changes are news.
      this.out({ type: 'QueueMemberStatusChanged', ...m, status, statusText: deviceStatusText(status), inCall });
    }
    return true;
  }
}

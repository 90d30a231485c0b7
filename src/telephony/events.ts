/**
 * Typed domain events: the only shape in which the rest of the service sees Asterisk.
 * Every event names its server (one Asterisk per centre) and where it came from. Events made up
 * by a resync (something changed while we were disconnected) carry `synthetic: true, reason: 'resync'`.
 *
 * Source of truth per event type, so that AMI and ARI never report the same fact twice:
 * AMI → channels, bridges, queues, members, transfers, MixMonitor recordings, endpoints, DTMF;
 * ARI → Stasis lifecycle, ARI (bridge/channel) recordings, playbacks, app bridges destroyed.
 * ARI channel-level facts (state, DTMF, bridge moves of a Stasis channel) go only to the listeners
 * registered with `AriClient.onChannel()`, the hook a Stasis call handler uses.
 */
export type LinkKind = 'ami' | 'ari';
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'resynced' | 'failed' | 'stopped';

interface Base {
  serverId: string;
  source: LinkKind;
  /** Epoch ms when the adapter produced the event. */
  at: number;
  synthetic?: true;
  reason?: 'resync' | 'restart';
}

/** A channel as the rest of the code may see it. `id` is Asterisk's Uniqueid / ARI channel id. */
export interface ChannelRef {
  channelId: string;
  channel: string;
  linkedId?: string;
}

export interface ChannelCreated extends Base, ChannelRef {
  type: 'ChannelCreated';
  state: string;
  callerNumber?: string;
  context?: string;
  exten?: string;
}
export interface ChannelStateChanged extends Base, ChannelRef {
  type: 'ChannelStateChanged';
  state: string;
  previousState?: string;
}
export interface ChannelHungUp extends Base, ChannelRef {
  type: 'ChannelHungUp';
  cause: number;
  causeText: string;
}
export interface CallerJoinedQueue extends Base, ChannelRef {
  type: 'CallerJoinedQueue';
  queue: string;
  position: number;
  callerNumber?: string;
}
export interface CallerLeftQueue extends Base, ChannelRef {
  type: 'CallerLeftQueue';
  queue: string;
  position?: number;
}
export interface CallerAbandoned extends Base, ChannelRef {
  type: 'CallerAbandoned';
  queue: string;
  position?: number;
  originalPosition?: number;
  holdTimeSec?: number;
}
export interface MemberRef {
  queue: string;
  memberInterface: string;
  memberName?: string;
}
export interface MemberRinging extends Base, ChannelRef, MemberRef {
  type: 'MemberRinging';
  memberChannel?: string;
  /** The caller's number (AgentCalled CallerIDNum: the fields of the caller's channel). */
  callerNumber?: string;
}
export interface OperatorAnswered extends Base, ChannelRef, MemberRef {
  type: 'OperatorAnswered';
  memberChannel?: string;
  memberChannelId?: string;
  holdTimeSec?: number;
  ringTimeSec?: number;
}
/**
 * AgentComplete. Under load Asterisk often omits the caller's Channel/Uniqueid, so the adapter fills
 * them from the matching OperatorAnswered: by the member's channel or the call (Dest*), or by the
 * member alone when it has exactly one answered call outstanding; `correlatedBy` says how.
 */
export interface CallCompleted extends Base, MemberRef {
  type: 'CallCompleted';
  channelId?: string;
  channel?: string;
  linkedId?: string;
  holdTimeSec?: number;
  talkTimeSec?: number;
  completionReason: string;
  correlatedBy: 'uniqueid' | 'dest' | 'member' | 'none';
  /** The member's channel, when AgentComplete names it (DestUniqueid) or the answer did. */
  memberChannelId?: string;
}
export interface BridgeEntered extends Base, ChannelRef {
  type: 'BridgeEntered';
  bridgeId: string;
}
export interface BridgeLeft extends Base, ChannelRef {
  type: 'BridgeLeft';
  bridgeId: string;
}
export interface RecordingStarted extends Base {
  type: 'RecordingStarted';
  via: 'mixmonitor' | 'ari';
  channelId?: string;
  channel?: string;
  /** ARI target (`bridge:ID` / `channel:ID`) or MixMonitor's MIXMONITOR_FILENAME. */
  target?: string;
  name?: string;
  file?: string;
}
export interface RecordingFinished extends Base {
  type: 'RecordingFinished';
  via: 'mixmonitor' | 'ari';
  channelId?: string;
  channel?: string;
  target?: string;
  name?: string;
  file?: string;
  durationSec?: number;
  state?: string;
}
export interface Transfer extends Base {
  type: 'Transfer';
  kind: 'blind' | 'attended';
  result: string;
  transfererChannelId?: string;
  transfererChannel?: string;
  transfereeChannelId?: string;
  transfereeChannel?: string;
  targetContext?: string;
  targetExten?: string;
  bridgeId?: string;
  external: boolean;
  /** Attended: the channel the transferee is joined to (TransferTargetChannel), and the consultation leg's transferer. */
  targetChannel?: string;
  secondTransfererChannel?: string;
  /**
   * Attended: whether the target had answered (TransferTargetChannelState 6). Not yet when the
   * transferer hung up while it rang: Asterisk's "blond" transfer, whose outcome is still open.
   */
  targetAnswered?: boolean;
}
export interface QueueMemberAdded extends Base, MemberRef {
  type: 'QueueMemberAdded';
  paused: boolean;
  penalty?: number;
  membership?: string;
}
export interface QueueMemberRemoved extends Base, MemberRef {
  type: 'QueueMemberRemoved';
}
export interface QueueMemberPaused extends Base, MemberRef {
  type: 'QueueMemberPaused';
  paused: boolean;
  pauseReason?: string;
}
export interface QueueMemberStatusChanged extends Base, MemberRef {
  type: 'QueueMemberStatusChanged';
  /** Asterisk device state code: 1 not in use, 2 in use, 5 unavailable, 6 ringing … */
  status: number;
  statusText: string;
  inCall: boolean;
}
export interface EndpointReachable extends Base {
  type: 'EndpointReachable';
  endpoint: string;
}
export interface EndpointUnreachable extends Base {
  type: 'EndpointUnreachable';
  endpoint: string;
}
export interface DtmfReceived extends Base, ChannelRef {
  type: 'DtmfReceived';
  digit: string;
}
export interface StasisStarted extends Base, ChannelRef {
  type: 'StasisStarted';
  app: string;
  args: string[];
  state: string;
  callerNumber?: string;
}
export interface StasisEnded extends Base, ChannelRef {
  type: 'StasisEnded';
  app: string;
}
export interface PlaybackFinished extends Base {
  type: 'PlaybackFinished';
  playbackId: string;
  target?: string;
  state: string;
}
/** An ARI (Stasis application) bridge is gone. */
export interface BridgeDestroyed extends Base {
  type: 'BridgeDestroyed';
  bridgeId: string;
}
export interface OriginateResult extends Base {
  type: 'OriginateResult';
  actionId: string;
  success: boolean;
  channelId?: string;
  channel?: string;
  reasonCode?: number;
}
/**
 * A channel variable the dialplan set that the service cares about (HOTLINE_OUTCOME and friends):
 * how the dialplan tells us what happened on a call without depending on the service being up.
 */
export interface VariableSet extends Base, ChannelRef {
  type: 'VariableSet';
  name: string;
  value: string;
}
export interface ConnectionStateChanged extends Base {
  type: 'ConnectionStateChanged';
  link: LinkKind;
  state: ConnectionState;
  previous: ConnectionState;
  error?: string;
}

export type TelephonyEvent =
  | ChannelCreated | ChannelStateChanged | ChannelHungUp
  | CallerJoinedQueue | CallerLeftQueue | CallerAbandoned
  | MemberRinging | OperatorAnswered | CallCompleted
  | BridgeEntered | BridgeLeft
  | RecordingStarted | RecordingFinished | Transfer
  | QueueMemberAdded | QueueMemberRemoved | QueueMemberPaused | QueueMemberStatusChanged
  | EndpointReachable | EndpointUnreachable | DtmfReceived
  | StasisStarted | StasisEnded | PlaybackFinished | BridgeDestroyed | OriginateResult
  | VariableSet | ConnectionStateChanged;

export type TelephonyEventType = TelephonyEvent['type'];
export type EventOf<T extends TelephonyEventType> = Extract<TelephonyEvent, { type: T }>;

/** Fields every producer fills in; helpers build the rest. */
export type EventInit<E extends TelephonyEvent> = Omit<E, 'serverId' | 'source' | 'at'> & Partial<Base>;

const STATUS_TEXT: Record<number, string> = {
  0: 'unknown', 1: 'not_in_use', 2: 'in_use', 3: 'busy', 4: 'invalid',
  5: 'unavailable', 6: 'ringing', 7: 'ringing_in_use', 8: 'on_hold',
};
export function deviceStatusText(code: number): string {
  return STATUS_TEXT[code] ?? 'unknown';
}

/**
 * The simulated Asterisk core: channels, their state changes, hangups and Local pairs. Every change
 * goes through here so that AMI and ARI see the same happenings in the same order.
 */
import { EventEmitter } from 'events';
import { randomUUID } from 'crypto';
import { appendFileSync } from 'fs';
import { join, isAbsolute } from 'path';
import { Channel, Fields, MixMonitorRec, ariTime } from './channel';
import { Bridge } from './bridge';
import { WavWriter } from './wav';
import { bridgeRemove } from './bridging';
import type { Logger } from '../../logging/logger';

export interface AmiEvent { name: string; privilege: string; fields: Fields }
export interface AriEvent { type: string; body: Record<string, unknown>; channels: Channel[]; bridges: Bridge[]; endpoints: string[] }

/** astspooldir on a default install: the paths Asterisk reports start with it (README "Paths"). */
export const AST_SPOOL = '/var/spool/asterisk/';

export interface SipMessage { channelId: string; channel: string; message: string; headers: Record<string, string>; at: number }

export type HangupHow = 'soft' | 'remote' | 'remote-nocause' | 'silent';

/** Q.850 cause texts as Asterisk prints them in Hangup Cause-txt / ARI cause_txt. */
export const CAUSE_TXT: Record<number, string> = {
  0: 'Unknown', 1: 'Unallocated (unassigned) number', 3: 'No route to destination', 16: 'Normal Clearing',
  17: 'User busy', 18: 'No user responding', 19: 'User alerting, no answer', 21: 'Call Rejected',
  23: 'Redirected to new destination', 26: 'Answered elsewhere', 27: 'Destination out of order',
  28: 'Invalid number format', 31: 'Normal, unspecified', 32: 'Normal, unspecified', 34: 'Circuit/channel congestion',
  38: 'Network out of order', 41: 'Temporary failure', 42: 'Switching equipment congestion', 58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export interface NewChannelOpts {
  name: string; tech: string; id?: string; linkedid?: string; context: string; exten: string; state?: number;
  caller?: { num: string; name: string }; half?: 1 | 2;
}

export class PbxCore extends EventEmitter {
  readonly channels = new Map<string, Channel>();
  readonly bridges = new Map<string, Bridge>();
  readonly startedAt = Date.now();
  unrealCounter = 0;
  pjsipCounter = 0;
  private seq = 0;
  private readonly epoch = Math.floor(Date.now() / 1000);
  /** Last state sent per device, so that DeviceStateChange is sent on change only. */
  private readonly devStates = new Map<string, string>();
  /** Extra device-state listeners (queue members follow their state interface). */
  readonly deviceListeners: Array<(device: string, state: string) => void> = [];

  constructor(readonly spoolDir: string, readonly log: Logger) { super(); this.setMaxListeners(0); }

  // ---------------------------------------------------------------- event output
  /**
   * AMI events held back by this many ms (fault injection): Asterisk publishes bridge and transfer
   * messages on other stasis topics than channel events, and AMI may deliver them late (an
   * AttendedTransfer after the Local pair's hangups, seen on Asterisk 22.10).
   */
  readonly lateEvents = new Map<string, number>();

  ami(name: string, privilege: string, fields: Fields): void {
    const late = this.lateEvents.get(name);
    if (late) { setTimeout(() => this.emit('ami', { name, privilege, fields } satisfies AmiEvent), late); return; }
    this.emit('ami', { name, privilege, fields } satisfies AmiEvent);
  }
  ari(type: string, body: Record<string, unknown>, refs: { channels?: Channel[]; bridges?: Bridge[]; endpoints?: string[] } = {}): void {
    this.emit('ari', { type, body, channels: refs.channels ?? [], bridges: refs.bridges ?? [], endpoints: refs.endpoints ?? [] } satisfies AriEvent);
  }

  nextUniqueid(): string { return `${this.epoch}.${this.seq++}`; }
  nextUnreal(): string { return (this.unrealCounter++).toString(16).padStart(8, '0'); }
  nextPjsip(): string { return (this.pjsipCounter++).toString(16).padStart(8, '0'); }

  findChannel(idOrName: string): Channel | undefined {
    const byId = this.channels.get(idOrName);
    if (byId) return byId;
    for (const c of this.channels.values()) if (c.name === idOrName) return c;
    return undefined;
  }

  // ---------------------------------------------------------------- channel primitives
  newChannel(o: NewChannelOpts): Channel {
    const id = o.id ?? this.nextUniqueid();
    const ch = new Channel(id, o.name, o.tech, o.linkedid ?? id, o.context, o.exten);
    ch.state = o.state ?? 0;
    if (o.caller) ch.caller = { ...o.caller };
    ch.half = o.half;
    this.channels.set(id, ch);
    this.ami('Newchannel', 'call', ch.snapshot());
    this.ari('ChannelCreated', { channel: ch.toAri() }, { channels: [ch] });
    return ch;
  }

  setState(ch: Channel, state: number): void {
    if (ch.hungup || ch.state === state) return;
    ch.state = state;
    if (state === 6 && !ch.answeredAt) ch.answeredAt = Date.now();
    this.ami('Newstate', 'call', ch.snapshot());
    this.ari('ChannelStateChange', { channel: ch.toAri() }, { channels: [ch] });
    this.updateDevice(ch.device);
    this.emit('chanstate', ch);
  }

  setVar(ch: Channel, name: string, value: string): void {
    ch.vars.set(name, value);
    this.ami('VarSet', 'dialplan', [...ch.snapshot(), ['Variable', name], ['Value', value]]);
    this.ari('ChannelVarset', { variable: name, value, channel: ch.toAri() }, { channels: [ch] });
  }

  newExten(ch: Channel, app: string, data: string): void {
    ch.app = app;
    ch.appData = data;
    this.ami('Newexten', 'dialplan', [...ch.snapshot(), ['Extension', ch.exten], ['Application', app], ['AppData', data]]);
    this.ari('ChannelDialplan', { dialplan_app: app, dialplan_app_data: data, channel: ch.toAri() }, { channels: [ch] });
  }

  setCallerId(ch: Channel, num: string, name: string): void {
    ch.caller = { num, name };
    this.ami('NewCallerid', 'call', [...ch.snapshot(), ['CID-CallingPres', '0 (Presentation Allowed, Not Screened)']]);
    this.ari('ChannelCallerId', { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened', channel: ch.toAri() }, { channels: [ch] });
  }

  setConnected(ch: Channel, num: string, name: string): void {
    ch.connected = { num, name };
    this.ami('NewConnectedLine', 'call', ch.snapshot());
    this.ari('ChannelConnectedLine', { channel: ch.toAri() }, { channels: [ch] });
  }

  /** Answer a channel. For the ;2 half of a Local pair, ;1 follows (README: "When ;2 answers, ;1 goes Up"). */
  answer(ch: Channel): void {
    if (ch.state === 6 || ch.hungup) return;
    this.setState(ch, 6);
    if (ch.tech === 'Local' && ch.half === 2 && ch.localPeer && !ch.localPeer.hungup) this.setState(ch.localPeer, 6);
  }

  /** Ringing() on ;2 shows as Ringing on ;1 (the dialled half); a PJSIP callee rings itself. */
  ringing(ch: Channel): void {
    if (ch.tech === 'Local' && ch.half === 2 && ch.localPeer) { if (ch.localPeer.state !== 6) this.setState(ch.localPeer, 5); return; }
    if (ch.state !== 6) this.setState(ch, 5);
  }

  // ---------------------------------------------------------------- device state
  deviceStateOf(device: string): string {
    let ringing = false; let inuse = false;
    for (const c of this.channels.values()) {
      if (c.hungup || c.device !== device) continue;
      // Local devices are INUSE while they ring: members report 2, never 6 (README).
      if (c.state === 5 && c.tech !== 'Local') ringing = true; else inuse = true;
    }
    return ringing && inuse ? 'RINGINUSE' : ringing ? 'RINGING' : inuse ? 'INUSE' : 'NOT_INUSE';
  }

  updateDevice(device: string, forced?: string): void {
    const state = forced ?? this.externalDeviceState(device) ?? this.deviceStateOf(device);
    if (this.devStates.get(device) === state) return;
    this.devStates.set(device, state);
    this.ami('DeviceStateChange', 'call', [['Device', device], ['State', state]]);
    this.ari('DeviceStateChanged', { device_state: { name: device, state } }, {});
    for (const l of this.deviceListeners) l(device, state);
  }

  /** Overridden by the endpoint registry: an unregistered PJSIP endpoint is UNAVAILABLE. */
  externalDeviceState: (device: string) => string | undefined = () => undefined;

  lastDeviceState(device: string): string { return this.devStates.get(device) ?? this.externalDeviceState(device) ?? this.deviceStateOf(device); }

  // ---------------------------------------------------------------- hangup
  /**
   * Request a hangup. The channel's owner (the dialplan executor, if one runs it) notices and
   * tears it down; a channel with no executor is destroyed at once.
   */
  hangup(ch: Channel, cause = 16, how: HangupHow = 'soft', requestCause = cause): void {
    if (ch.hungup) return;
    ch.hungup = true;
    ch.hangupCause = cause;
    ch.hangupHow = how;
    if (how === 'soft') this.ami('SoftHangupRequest', 'call', [...ch.snapshot(), ['Cause', String(cause)]]);
    else if (how === 'remote') this.ami('HangupRequest', 'call', [...ch.snapshot(), ['Cause', String(cause)]]);
    else if (how === 'remote-nocause') this.ami('HangupRequest', 'call', ch.snapshot());
    if (how !== 'silent') {
      const body: Record<string, unknown> = how === 'remote-nocause' ? {} : { cause: requestCause };
      if (how === 'soft') body.soft = true;
      this.ari('ChannelHangupRequest', { ...body, channel: ch.toAri() }, { channels: [ch] });
    }
    ch.wake();
    this.emit('hangupRequested', ch);
    // the other Local half hears about it at once (HangupRequest ;2 right after the request on ;1)
    const peer = ch.localPeer;
    if (peer && !peer.hungup) this.hangup(peer, cause, 'remote');
    if (ch.pbxRunning) return;
    // A party of a Queue/Dial bridge that hangs up is taken out by the bridge's owner, which reports
    // the end first (HangupRequest, AgentComplete, BridgeLeave …, then its Hangup: captures 08b, 10).
    if (how !== 'silent' && ch.bridge?.dissolveOnLeave && !ch.bridge.destroyed) {
      for (const c of ch.bridge.channels) c.wake();
      setImmediate(() => this.destroy(ch));
      return;
    }
    this.destroy(ch);
  }

  /** Final teardown: leave the bridge, finish recordings, Hangup/ChannelDestroyed, then the Local peer. */
  destroy(ch: Channel): void {
    if (this.channels.get(ch.id) !== ch) return;
    ch.hungup = true;
    if (!ch.hangupCause && !ch.causeUnknown) ch.hangupCause = 16;
    if (ch.bridge) bridgeRemove(this, ch.bridge, ch);
    this.finishMixMonitors(ch);
    if (ch.stasisApp) this.emit('stasisEnd', ch);
    this.channels.delete(ch.id);
    const cause = ch.hangupCause;
    this.ami('Hangup', 'call', [...ch.snapshot(), ['Cause', String(cause)], ['Cause-txt', CAUSE_TXT[cause] ?? 'Unknown']]);
    this.ari('ChannelDestroyed', { cause, cause_txt: CAUSE_TXT[cause] ?? 'Unknown', channel: ch.toAri() }, { channels: [ch] });
    this.updateDevice(ch.device);
    this.emit('destroyed', ch);
    ch.wake();
    const peer = ch.localPeer;
    if (peer && !peer.hungup) this.hangup(peer, cause, 'remote');
  }

  // ---------------------------------------------------------------- Local channels
  /** Create a Local pair for `exten@context`; the caller decides when ;2 starts its dialplan. */
  newLocal(dest: string, o: { id?: string; otherId?: string; linkedid?: string; caller?: { num: string; name: string } } = {}): [Channel, Channel] {
    const [exten, context = 'default'] = dest.replace(/\/n$/, '').split('@');
    const n = this.nextUnreal();
    const base = `Local/${exten}@${context}-${n}`;
    const one = this.newChannel({ name: `${base};1`, tech: 'Local', id: o.id, linkedid: o.linkedid, context, exten, state: 0, half: 1, caller: o.caller });
    const two = this.newChannel({ name: `${base};2`, tech: 'Local', id: o.otherId, linkedid: one.linkedid, context, exten, state: 4, half: 2, caller: o.caller });
    one.localPeer = two;
    two.localPeer = one;
    return [one, two];
  }

  localBridgeEvent(one: Channel, two: Channel): void {
    this.ami('LocalBridge', 'call', [...one.snapshot('LocalOne'), ...two.snapshot('LocalTwo'), ['Context', two.context], ['Exten', two.exten], ['LocalOptimization', 'Yes']]);
  }

  // ---------------------------------------------------------------- recordings
  /**
   * A file name as Asterisk reports it (MIXMONITOR_FILENAME): a relative name lands under its
   * monitor directory, an absolute one is kept as given (captures 03, 12).
   */
  reportedMonitorPath(file: string): string {
    return isAbsolute(file) ? file : `${AST_SPOOL}monitor/${file}`;
  }

  /** Where a file Asterisk names is really written: its spool maps to `spoolDir`, other paths stay. */
  localPath(asteriskPath: string): string {
    return asteriskPath.startsWith(AST_SPOOL) ? join(this.spoolDir, asteriskPath.slice(AST_SPOOL.length)) : asteriskPath;
  }

  // ---------------------------------------------------------------- files being recorded
  /** Recordings open right now, each with how long it is so far; audio is appended every 100 ms. */
  private readonly recordingFiles = new Map<WavWriter, () => number>();
  private recordingTimer: NodeJS.Timeout | null = null;

  /**
   * Open a recording file now (as MixMonitor, Record() and ARI do): header with zero sizes at once,
   * audio appended while it runs, sizes only at `closeRecording`. Throws when it cannot be created.
   */
  openRecording(file: string, lengthMs: () => number): WavWriter {
    const w = new WavWriter(file);
    this.recordingFiles.set(w, lengthMs);
    if (!this.recordingTimer) {
      this.recordingTimer = setInterval(() => this.flushRecordings(), 100);
      this.recordingTimer.unref();
    }
    return w;
  }

  closeRecording(w: WavWriter, totalMs: number): void {
    this.recordingFiles.delete(w);
    try { w.close(totalMs); } catch (err) { this.log.warn({ err, file: w.file }, 'simulator: recording could not be closed'); }
    if (!this.recordingFiles.size && this.recordingTimer) { clearInterval(this.recordingTimer); this.recordingTimer = null; }
  }

  private flushRecordings(): void {
    for (const [w, len] of this.recordingFiles) {
      try { w.advanceTo(len()); } catch (err) { this.recordingFiles.delete(w); this.log.warn({ err, file: w.file }, 'simulator: recording write failed'); }
    }
  }

  /** Stop the flush timer and close what is still open (simulator shutdown). */
  closeAllRecordings(): void {
    for (const [w, len] of [...this.recordingFiles]) this.closeRecording(w, len());
  }

  startMixMonitor(ch: Channel, file: string, options: string): string {
    const reported = this.reportedMonitorPath(file);
    const m: MixMonitorRec = { file: this.localPath(reported), options, startedAt: Date.now(), bridgedMs: 0, bridgedSince: ch.bridge ? Date.now() : undefined };
    try { m.writer = this.openRecording(m.file, () => this.mixMonitorLength(m)); } catch (err) { this.log.warn({ err, file: m.file }, 'MixMonitor could not create its file'); }
    ch.mixmonitors.push(m);
    this.setVar(ch, 'MIXMONITOR_FILENAME', reported);
    this.ami('MixMonitorStart', 'call', ch.snapshot());
    return reported;
  }

  /** StopMixMonitor: the only way to get a MixMonitorStop event (README). */
  stopMixMonitor(ch: Channel): boolean {
    if (!ch.mixmonitors.length) return false;
    this.finishMixMonitors(ch);
    this.ami('MixMonitorStop', 'call', ch.snapshot());
    return true;
  }

  /** Option `b` records only while bridged; otherwise the length runs from start to stop/hangup. */
  private mixMonitorLength(m: MixMonitorRec, now = Date.now()): number {
    return m.options.includes('b') ? m.bridgedMs + (m.bridgedSince !== undefined ? now - m.bridgedSince : 0) : now - m.startedAt;
  }

  private finishMixMonitors(ch: Channel): void {
    for (const m of ch.mixmonitors) if (m.writer) this.closeRecording(m.writer, this.mixMonitorLength(m));
    ch.mixmonitors = [];
  }

  noteBridged(ch: Channel, bridged: boolean): void {
    const now = Date.now();
    for (const m of ch.mixmonitors) {
      if (bridged && m.bridgedSince === undefined) m.bridgedSince = now;
      if (!bridged && m.bridgedSince !== undefined) { m.bridgedMs += now - m.bridgedSince; m.bridgedSince = undefined; }
    }
  }

  /** Asterisk's queue_log (astlogdir/queue_log); unset: not written. */
  queueLogPath?: string;
  /**
   * One queue_log line as app_queue writes it: `epoch|callid|queue|agent|event|data1|…` (callid: the
   * caller's uniqueid; agent: the member name with log_membername_as_agent=yes, else NONE).
   */
  queueLog(callid: string, queue: string, agent: string, event: string, ...data: Array<string | number>): void {
    if (!this.queueLogPath) return;
    const line = [Math.floor(Date.now() / 1000), callid, queue, agent || 'NONE', event, ...data].join('|') + '\n';
    try { appendFileSync(this.queueLogPath, line); } catch (err) { this.log.warn({ err }, 'simulator: queue_log not writable'); }
  }

  /** SIP requests/responses Asterisk sent to a PJSIP party that no AMI/ARI event reports (302, REFER). */
  readonly sipLog: SipMessage[] = [];
  sipMessage(ch: Channel, message: string, headers: Record<string, string>): void {
    const m: SipMessage = { channelId: ch.id, channel: ch.name, message, headers, at: Date.now() };
    this.sipLog.push(m);
    if (this.sipLog.length > 1000) this.sipLog.shift();
    this.emit('sip', m);
  }

  newBridgeId(): string { return randomUUID(); }
  ariTime(): string { return ariTime(); }
}

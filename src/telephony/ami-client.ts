/**
 * AmiClient: the AMI half of one Asterisk server. Typed commands, typed domain events, resync.
 * Subscribe with `client.on('event', (e: TelephonyEvent) => …)`.
 */
import { maskPhone } from '../logging/mask';
import { AmiFrame, str } from './ami-frames';
import { AmiAction, AmiConnection, AmiConnectionOptions, AmiServerConfig } from './ami-connection';
import { reconcile } from './ami-resync';
import { AmiView, IGNORED_EVENTS, MAPPED_EVENTS } from './ami-view';
import { ConnectionState, TelephonyEvent } from './events';

export type SpyMode = 'listen' | 'whisper' | 'barge';

export interface OriginateParams {
  /** Dial string, e.g. `PJSIP/1001` or `Local/12345@from-caller`. */
  channel: string;
  context?: string;
  exten?: string;
  priority?: number;
  application?: string;
  data?: string;
  callerId?: string;
  timeoutMs?: number;
  variables?: Record<string, string>;
  /** Uniqueid to give the new channel (Asterisk `ChannelId`), so events can be matched at once. */
  channelId?: string;
  otherChannelId?: string;
  /** Default true: the answer comes at once and the outcome later as an `OriginateResult` event. */
  async?: boolean;
}

export class AmiClient extends AmiConnection {
  readonly view: AmiView;
  private lastStartup?: string;
  private resyncWaiters: Array<() => void> = [];

  constructor(server: AmiServerConfig, options: AmiConnectionOptions) {
    super(server, options);
    this.view = new AmiView(options.serverId, (e) => this.publish(e), (id) => id.startsWith(`${this.actionPrefix}-`));
  }

  override status() {
    const s = super.status();
    s.counters.trackedChannels = this.view.channels.size;
    s.counters.trackedMembers = this.view.members.size;
    return s;
  }

  private publish(e: TelephonyEvent): void {
    this.counters.eventsMapped++;
    this.emit('event', e);
  }

  protected onEventFrame(frame: AmiFrame): void {
    if (!this.view.apply(frame)) this.noteUnknown(str(frame, 'event') ?? '');
  }

  protected wantsEvent(name: string): boolean {
    return MAPPED_EVENTS.has(name);
  }

  protected isKnownEvent(name: string): boolean {
    return MAPPED_EVENTS.has(name) || IGNORED_EVENTS.has(name);
  }

  protected onStateChange(state: ConnectionState, previous: ConnectionState, error?: string): void {
    this.emit('event', { type: 'ConnectionStateChanged', serverId: this.serverId, source: 'ami', at: Date.now(), link: 'ami', state, previous, error });
    if (state === 'resynced') for (const w of this.resyncWaiters.splice(0)) w();
  }

  /** Resolves the next time the link reaches `resynced` (at once if it is there now). */
  whenResynced(timeoutMs = 10_000): Promise<void> {
    if (this.state === 'resynced') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ami ${this.serverId} not resynced within ${timeoutMs} ms`)), timeoutMs);
      this.resyncWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** Rebuild the view from Asterisk and emit what changed while we were away. Runs after every login. */
  protected async onSession(): Promise<void> {
    this.counters.resyncs++;
    const sinceSeq = this.view.seq;
    this.view.endedDuringResync = new Set();
    try {
      const [channels, queues, endpoints, core] = await Promise.all([
        this.list({ action: 'CoreShowChannels' }),
        this.list({ action: 'QueueStatus' }),
        // No chan_pjsip, or no endpoints at all, answers Error: then endpoints are simply not diffed.
        this.list({ action: 'PJSIPShowEndpoints' }).catch(() => undefined),
        this.send({ action: 'CoreStatus' }).catch(() => undefined),
      ]);
      const startup = core ? `${str(core, 'corestartupdate') ?? ''} ${str(core, 'corestartuptime') ?? ''}`.trim() : '';
      const restarted = !!startup && !!this.lastStartup && startup !== this.lastStartup;
      if (startup) this.lastStartup = startup;
      const events = reconcile(this.view, {
        channels: channels.items.filter((f) => str(f, 'event') === 'CoreShowChannel'),
        queueEntries: queues.items.filter((f) => str(f, 'event') === 'QueueEntry'),
        members: queues.items.filter((f) => str(f, 'event') === 'QueueMember'),
        endpoints: endpoints?.items.filter((f) => str(f, 'event') === 'EndpointList'),
        restarted,
      }, sinceSeq, this.view.endedDuringResync);
      if (events.length) this.log.info({ differences: events.length, restarted }, 'ami resync found differences');
      for (const e of events) this.publish(e);
    } finally {
      this.view.endedDuringResync = null;
    }
    this.setState('resynced');
  }

  // ---- typed commands ---------------------------------------------------------------------------

  /** Returns the ActionID; with `async` the outcome arrives as an OriginateResult event carrying it. */
  async originate(p: OriginateParams): Promise<{ actionId: string }> {
    this.log.info({ channel: p.channel, exten: p.exten ? maskPhone(p.exten) : undefined }, 'ami originate');
    const res = await this.send({
      action: 'Originate', channel: p.channel, context: p.context, exten: p.exten, priority: p.priority,
      application: p.application, data: p.data, callerid: p.callerId, timeout: p.timeoutMs ?? 30_000,
      async: p.async === false ? 'false' : 'true', variable: p.variables, channelid: p.channelId, otherchannelid: p.otherChannelId,
    });
    return { actionId: str(res, 'actionid') ?? '' };
  }

  async redirect(p: { channel: string; context: string; exten: string; priority?: number; extraChannel?: string }): Promise<void> {
    await this.send({ action: 'Redirect', channel: p.channel, context: p.context, exten: p.exten, priority: p.priority ?? 1,
      extrachannel: p.extraChannel, extracontext: p.extraChannel ? p.context : undefined,
      extraexten: p.extraChannel ? p.exten : undefined, extrapriority: p.extraChannel ? p.priority ?? 1 : undefined });
  }

  /**
   * AMI BlindTransfer moves the *other* party of `channel`'s bridge, and hangs `channel` up. To send
   * the citizen to a county line, pass the operator's channel.
   */
  async blindTransfer(p: { channel: string; context: string; exten: string }): Promise<void> {
    await this.send({ action: 'BlindTransfer', channel: p.channel, context: p.context, exten: p.exten });
  }

  /** Needs `atxfer => *2` in features.conf; Asterisk has no default code. */
  async atxfer(p: { channel: string; exten: string; context?: string }): Promise<void> {
    await this.send({ action: 'Atxfer', channel: p.channel, exten: p.exten, context: p.context });
  }

  async hangup(channel: string, cause?: number): Promise<void> {
    await this.send({ action: 'Hangup', channel, cause });
  }

  async queueAdd(p: { queue: string; memberInterface: string; memberName?: string; penalty?: number; paused?: boolean; stateInterface?: string; reason?: string }): Promise<void> {
    await this.send({ action: 'QueueAdd', queue: p.queue, interface: p.memberInterface, membername: p.memberName, penalty: p.penalty,
      paused: p.paused === undefined ? undefined : p.paused ? 'true' : 'false', stateinterface: p.stateInterface, reason: p.reason });
  }

  async queueRemove(p: { queue: string; memberInterface: string }): Promise<void> {
    await this.send({ action: 'QueueRemove', queue: p.queue, interface: p.memberInterface });
  }

  /** Without `queue` the pause applies to every queue the member is in. */
  async queuePause(p: { memberInterface: string; paused: boolean; queue?: string; reason?: string }): Promise<void> {
    await this.send({ action: 'QueuePause', interface: p.memberInterface, paused: p.paused ? 'true' : 'false', queue: p.queue, reason: p.reason });
  }

  /** A relative `file` lands under astspooldir/monitor/. */
  async mixMonitor(p: { channel: string; file: string; options?: string }): Promise<void> {
    this.view.pendingRecordingFiles.set(p.channel, p.file);
    try {
      await this.send({ action: 'MixMonitor', channel: p.channel, file: p.file, options: p.options });
    } catch (e) {
      this.view.pendingRecordingFiles.delete(p.channel);
      throw e;
    }
  }

  async stopMixMonitor(p: { channel: string; mixMonitorId?: string }): Promise<void> {
    await this.send({ action: 'StopMixMonitor', channel: p.channel, mixmonitorid: p.mixMonitorId });
  }

  async setVar(p: { variable: string; value: string; channel?: string }): Promise<void> {
    await this.send({ action: 'Setvar', channel: p.channel, variable: p.variable, value: p.value });
  }

  async getVar(p: { variable: string; channel?: string }): Promise<string | undefined> {
    const res = await this.send({ action: 'Getvar', channel: p.channel, variable: p.variable });
    return str(res, 'value');
  }

  async dbPut(family: string, key: string, value: string): Promise<void> {
    await this.send({ action: 'DBPut', family, key, val: value });
  }

  /** Undefined when the key does not exist (Asterisk answers Error for that). */
  async dbGet(family: string, key: string): Promise<string | undefined> {
    try {
      const { response, items } = await this.list({ action: 'DBGet', family, key });
      const item = items.find((f) => str(f, 'event') === 'DBGetResponse');
      return item ? str(item, 'val') : str(response, 'val');
    } catch (e) {
      if ((e as { id?: string }).id === 'telephony.command_failed') return undefined;
      throw e;
    }
  }

  async dbDel(family: string, key: string): Promise<void> {
    await this.send({ action: 'DBDel', family, key });
  }

  /**
   * Every key of an AstDB family with its value (keys relative to the family). DBGetTree needs only
   * the `system` or `reporting` privilege, so the AMI user does not need `command` (the whole CLI)
   * to read the keys the dialplan writes.
   */
  async dbGetTree(family: string): Promise<Record<string, string>> {
    const { items } = await this.list({ action: 'DBGetTree', family });
    const prefix = `/${family}/`;
    const out: Record<string, string> = {};
    for (const item of items) {
      if (str(item, 'event') !== 'DBGetTreeResponse') continue;
      const key = str(item, 'key') ?? '';
      if (key.startsWith(prefix)) out[key.slice(prefix.length)] = str(item, 'val') ?? '';
    }
    return out;
  }

  async dbDelTree(family: string, key?: string): Promise<void> {
    await this.send({ action: 'DBDelTree', family, key });
  }

  /**
   * Supervisor monitoring: ring `supervisor` (e.g. `PJSIP/1003`) and run ChanSpy on `targetChannel`.
   * Asterisk's ChanSpy events do not say the mode; the Originate Data is the only record of it.
   */
  async chanSpy(p: { supervisor: string; targetChannel: string; mode: SpyMode; callerId?: string; timeoutMs?: number }): Promise<{ actionId: string }> {
    // E: ChanSpy returns when the spied-on channel hangs up (else it keeps scanning); u: full channel name.
    const flags = p.mode === 'listen' ? 'qEu' : p.mode === 'whisper' ? 'qwEu' : 'qBEu';
    return this.originate({ channel: p.supervisor, application: 'ChanSpy', data: `${p.targetChannel},${flags}`,
      callerId: p.callerId, timeoutMs: p.timeoutMs ?? 20_000 });
  }

  /** Escape hatch for actions without a typed wrapper (still correlated, timed out, typed errors). */
  raw(action: AmiAction): Promise<AmiFrame> {
    return this.send(action);
  }
}

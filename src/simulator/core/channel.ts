/**
 * A simulated Asterisk channel. It only holds state; the Pbx (core/pbx.ts) changes it and emits
 * the AMI/ARI events, so that every change is reported the same way whatever caused it.
 */
import type { Bridge } from './bridge';

export type Fields = Array<[string, string]>;

/** ast_channel_state values as AMI reports them (ChannelState / ChannelStateDesc). */
export const STATE_DESC: Record<number, string> = {
  0: 'Down', 1: 'Rsrvd', 2: 'OffHook', 3: 'Dialing', 4: 'Ring', 5: 'Ringing', 6: 'Up', 7: 'Busy',
  8: 'Dialing Offhook', 9: 'Pre-ring', 10: 'Unknown',
};
/** ARI spells state 1 differently from AMI. */
export function ariStateName(state: number): string {
  return state === 1 ? 'Rsrved' : STATE_DESC[state] ?? 'Unknown';
}

export interface CallerId { num: string; name: string }

export type WakeReason = 'timeout' | 'woken';

import type { WavWriter } from './wav';
export interface MixMonitorRec { file: string; options: string; startedAt: number; bridgedMs: number; bridgedSince?: number; writer?: WavWriter }

export class Channel {
  state = 0;
  caller: CallerId = { num: '', name: '' };
  connected: CallerId = { num: '', name: '' };
  language = 'en';
  accountcode = '';
  context: string;
  exten: string;
  priority = 1;
  app = '';
  appData = '';
  readonly vars = new Map<string, string>();
  bridge?: Bridge;
  /** Other half of a Local pair (;1 <-> ;2). */
  localPeer?: Channel;
  /** The half number for Local/unreal channels (1 or 2). */
  half?: 1 | 2;
  readonly createdAt = Date.now();
  answeredAt?: number;
  hungup = false;
  hangupCause = 0;
  /** Cause 0 (Unknown) is the real cause, not "none set yet" (a ChanSpy supervisor's hangup). */
  causeUnknown = false;
  /** How the hangup was requested: a remote request still gets a SoftHangupRequest when the PBX unwinds. */
  hangupHow?: string;
  /** Stasis application this channel is in, if any. */
  stasisApp?: string;
  /** True while a dialplan executor owns the channel. */
  pbxRunning = false;
  /** A Redirect/continue target the running application must honour. */
  pendingGoto?: { context: string; exten: string; priority: number | string };
  /** Set when the channel should leave the Stasis app without hanging up (continue/move). */
  stasisExit?: { kind: 'continue' | 'move'; app?: string; args?: string[] };
  /** Where a transferee goes when its bridge dissolves (blind transfer); its owner must not hang it up. */
  afterBridge?: { context: string; exten: string; priority: number };
  /** Moved out of its Dial bridge by a Local optimisation: the Dial that called it must not hang it up. */
  swappedOut = false;
  mixmonitors: MixMonitorRec[] = [];
  /** PJSIP endpoint name, for PJSIP channels. */
  endpoint?: string;
  /** The number dialled through a trunk endpoint (`PJSIP/<number>@<endpoint>`): the INVITE's user part. */
  dialledNumber?: string;
  /** Headers PJSIP_HEADER(add,…) put on this channel's outgoing INVITE (pre-dial handler). */
  sipHeaders: Record<string, string> = {};
  protocolId = '';
  /** DTMF digits received and not yet consumed by Read/WaitExten/Background. */
  dtmfBuffer = '';
  /** Music on hold class while MOH plays. */
  moh?: string;
  onHold = false;
  /** Who listens to whom: recorded for snoop/ChanSpy tests. */
  spying?: { target: string; mode: 'listen' | 'whisper' | 'barge' };
  /** Dialplan location to show on CoreShowChannel when an application other than the dialplan owns it. */
  outgoingApp?: string;
  private waiters = new Set<(r: WakeReason) => void>();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly tech: string,
    public linkedid: string,
    context: string,
    exten: string,
  ) {
    this.context = context;
    this.exten = exten;
  }

  get stateDesc(): string { return STATE_DESC[this.state] ?? 'Unknown'; }

  /** Device name as used by DeviceStateChange: the channel name without its -0000000N suffix. */
  get device(): string {
    const m = /^(.*)-[0-9a-f]{8}(;[12])?$/.exec(this.name);
    return m ? m[1] : this.name;
  }

  /** Wait until woken (hangup, redirect, DTMF, bridge change ...) or the timeout passes. */
  sleep(ms?: number): Promise<WakeReason> {
    if (this.hungup) return Promise.resolve('woken');
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (r: WakeReason): void => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(done);
        resolve(r);
      };
      this.waiters.add(done);
      if (ms !== undefined && ms >= 0) timer = setTimeout(() => done('timeout'), ms);
    });
  }

  wake(): void {
    for (const w of [...this.waiters]) w('woken');
  }

  /** Whatever the running application is doing, it must stop now. */
  get interrupted(): boolean {
    return this.hungup || this.pendingGoto !== undefined || this.stasisExit !== undefined;
  }

  /** AMI channel snapshot, optionally prefixed (Dest, Transferer, LocalOne ...). */
  snapshot(prefix = ''): Fields {
    return [
      [`${prefix}Channel`, this.name],
      [`${prefix}ChannelState`, String(this.state)],
      [`${prefix}ChannelStateDesc`, this.stateDesc],
      [`${prefix}CallerIDNum`, this.caller.num || '<unknown>'],
      [`${prefix}CallerIDName`, this.caller.name || '<unknown>'],
      [`${prefix}ConnectedLineNum`, this.connected.num || '<unknown>'],
      [`${prefix}ConnectedLineName`, this.connected.name || '<unknown>'],
      [`${prefix}Language`, this.language],
      [`${prefix}AccountCode`, this.accountcode],
      [`${prefix}Context`, this.context],
      [`${prefix}Exten`, this.exten],
      [`${prefix}Priority`, String(this.priority)],
      [`${prefix}Uniqueid`, this.id],
      [`${prefix}Linkedid`, this.linkedid],
    ];
  }

  /** ARI Channel model (channels.json "Channel"). */
  toAri(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      state: ariStateName(this.state),
      protocol_id: this.protocolId,
      caller: { name: this.caller.name, number: this.caller.num },
      connected: { name: this.connected.name, number: this.connected.num },
      accountcode: this.accountcode,
      dialplan: {
        context: this.context, exten: this.exten, priority: this.priority,
        app_name: this.app, app_data: this.appData,
      },
      creationtime: ariTime(this.createdAt),
      language: this.language,
    };
  }
}

/** ARI timestamps look like 2026-11-27T18:54:24.936+0000 (no colon in the offset). */
export function ariTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

import { Knex } from 'knex';
import { AuditStore } from '../../audit/store';
import { AuthUser, hasAnyRole } from '../../auth/roles';
import { AppError, conflict, forbidden, notFound, unavailable } from '../../http/errors';
import { Logger } from '../../logging/logger';
import { TelephonyHub } from '../../telephony';
import { AmiClient } from '../../telephony/ami-client';
import { ChannelView } from '../../telephony/ami-view';
import { CallRow, CallStore } from '../call-store';
import { RecordingCollector } from '../recordings';
import { LineDirectory, OpenCheck } from './lines';

/** The part of the tickets capability linkage uses (ctx.services.get('tickets')). */
export interface LinkageTickets {
  get(no: string): Promise<{ no: string; status: string; mainUnit: string | null }>;
  act(no: string, input: Record<string, unknown>, actor?: unknown): Promise<unknown>;
  linkCall(no: string, linkedid: string): Promise<boolean>;
  linkRecording(no: string, rec: { recordingId: string; linkedid?: string | null; meta?: Record<string, unknown> }): Promise<boolean>;
  ticketsForCall(linkedid: string): Promise<string[]>;
}

export interface LinkageDeps {
  knex: Knex;
  hub: TelephonyHub | null;
  store: CallStore;
  recordings: RecordingCollector;
  lines: LineDirectory;
  isOpen: OpenCheck;
  audit: AuditStore;
  log: Logger;
  tickets: () => LinkageTickets | null;
  /** Publish on a WebSocket topic (every instance's subscribers get it). */
  publish: (topic: string, event: Record<string, unknown>) => void;
  /** The operator answered Asterisk's ring-back after a consultation they left failed (OperatorService.recalled). */
  operatorRecalled?: (serverId: string, iface: string, legChannelId: string, call: { serverId: string; linkedid: string; channelId: string; queue: string }, at: number) => Promise<void>;
}

/** The roles that act on any live call; operators and experts act only on calls they are on. */
export const SUPERVISING = ['supervisor', 'admin'] as const;

export interface LiveCall {
  call: CallRow;
  ami: AmiClient;
  caller: ChannelView;
  /** The other party bridged with the caller whose name is the operator's device, if any. */
  operator: ChannelView | null;
}

/** A ticket action's actor built from the user who pressed the key. */
export function actorOf(user: AuthUser, requestId?: string) {
  return { userId: user.id, username: user.username, roles: user.roles, unitCode: user.unitCode, centre: user.centre, requestId };
}

export const exten = (id: number | string) => String(id).padStart(6, '0');

/**
 * Finds a call's live channels in the AMI view: the caller's channel and the operator's channel in the
 * same bridge. Every action goes through here, so a call that has ended or moved answers with a
 * stable 404/409 instead of an AMI error (issue 5 §6).
 */
export class LiveCalls {
  constructor(private readonly d: LinkageDeps) {}

  ami(serverId: string): AmiClient {
    if (!this.d.hub) throw unavailable('telephony.not_configured', '未配置 Asterisk 服务器（ASTERISK_SERVERS）');
    try {
      return this.d.hub.ami(serverId);
    } catch {
      throw unavailable('telephony.server_unknown', `Asterisk 服务器 ${serverId} 未连接`, { serverId });
    }
  }

  async call(callId: number): Promise<CallRow> {
    const call = await this.d.store.getCall(callId);
    if (!call) throw notFound('call.not_found', '通话不存在', { id: callId });
    return call;
  }

  async locate(callId: number, user: AuthUser, opts: { needOperator?: boolean } = {}): Promise<LiveCall> {
    const call = await this.call(callId);
    if (call.state === 'ended') throw conflict('call.ended', '通话已结束', { id: callId, state: call.state });
    const ami = this.ami(call.server_id);
    const caller = call.caller_channel_id ? ami.view.channels.get(call.caller_channel_id) : undefined;
    if (!caller) throw conflict('call.ended', '通话已结束', { id: callId, state: call.state });
    const operator = this.operatorChannel(ami, call, caller);
    if (!hasAnyRole(user, SUPERVISING)) {
      const mine = !!user.extension && ((operator && operator.channel.startsWith(`${user.extension}-`)) || call.operator_interface === user.extension);
      if (!mine) throw forbidden({ reason: 'not your call', id: callId });
    }
    if (opts.needOperator !== false && !operator) {
      throw conflict('call.not_connected', '来电当前未与话务员通话', { id: callId, state: call.state });
    }
    return { call, ami, caller, operator };
  }

  /** The operator's channel: bridged with the caller, the call's operator device first. */
  operatorChannel(ami: AmiClient, call: CallRow, caller: ChannelView): ChannelView | null {
    if (!caller.bridgeId) return null;
    const peers = [...ami.view.channels.values()].filter((c) => c.bridgeId === caller.bridgeId && c.channelId !== caller.channelId);
    const iface = call.operator_interface;
    return (iface && peers.find((c) => c.channel.startsWith(`${iface}-`))) || (peers.length === 1 && /^PJSIP\/\d{4}-/.test(peers[0].channel) ? peers[0] : null);
  }

  /** An AMI failure during an action: the call went away meanwhile (a 409), or Asterisk refused. */
  static amiFailure(err: unknown, callId: number): AppError {
    if (err instanceof AppError && err.status < 500) return err;
    return conflict('call.gone', '通话状态已变化,操作未执行', { id: callId, reason: (err as Error).message });
  }
}

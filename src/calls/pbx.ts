import { TelephonyHub } from '../telephony';
import { Logger } from '../logging/logger';
import { unavailable } from '../http/errors';

/**
 * What the calls capability asks of the Asterisk servers: AstDB keys the dialplan reads, queue
 * membership, and redirects. A thin face over the TelephonyHub so the services stay testable and
 * never see AMI frames.
 */
export interface PbxControl {
  serverIds(): string[];
  dbPut(serverId: string, family: string, key: string, value: string): Promise<void>;
  dbDel(serverId: string, family: string, key: string): Promise<void>;
  /** Keys of an AstDB family (AMI DBGetTree: no `command` privilege needed), with their values. */
  dbList(serverId: string, family: string): Promise<Record<string, string>>;
  queueAdd(serverId: string, p: { queue: string; memberInterface: string; memberName: string; paused?: boolean; reason?: string }): Promise<void>;
  queueRemove(serverId: string, p: { queue: string; memberInterface: string }): Promise<void>;
  queuePause(serverId: string, p: { memberInterface: string; paused: boolean; reason?: string }): Promise<void>;
  /** Queue members as Asterisk reported them at the last resync and since. */
  members(serverId: string): MemberState[];
}

export interface MemberState {
  queue: string;
  memberInterface: string;
  paused: boolean;
  status: number;
  inCall: boolean;
}

export class HubPbxControl implements PbxControl {
  constructor(private readonly hub: TelephonyHub, private readonly log: Logger) {}

  serverIds() {
    return this.hub.serverIds();
  }
  dbPut(serverId: string, family: string, key: string, value: string) {
    return this.hub.ami(serverId).dbPut(family, key, value);
  }
  async dbDel(serverId: string, family: string, key: string) {
    try {
      await this.hub.ami(serverId).dbDel(family, key);
    } catch (err) {
      // Deleting a key that is already gone is not a failure for us.
      this.log.debug({ err: (err as Error).message, family }, 'AstDB delete refused');
    }
  }
  queueAdd(serverId: string, p: { queue: string; memberInterface: string; memberName: string; paused?: boolean; reason?: string }) {
    return this.hub.ami(serverId).queueAdd({ ...p, stateInterface: p.memberInterface });
  }
  queueRemove(serverId: string, p: { queue: string; memberInterface: string }) {
    return this.hub.ami(serverId).queueRemove(p);
  }
  queuePause(serverId: string, p: { memberInterface: string; paused: boolean; reason?: string }) {
    return this.hub.ami(serverId).queuePause(p);
  }
  members(serverId: string): MemberState[] {
    return [...this.hub.ami(serverId).view.members.values()];
  }
  dbList(serverId: string, family: string): Promise<Record<string, string>> {
    return this.hub.ami(serverId).dbGetTree(family);
  }
}

/** No Asterisk configured: the records still work; nothing is pushed anywhere. */
export class NoPbx implements PbxControl {
  serverIds() {
    return [];
  }
  async dbPut() {}
  async dbDel() {}
  async dbList() {
    return {};
  }
  async queueAdd(): Promise<void> {
    throw unavailable('telephony.not_configured', '未配置 Asterisk 服务器（ASTERISK_SERVERS）');
  }
  async queueRemove(): Promise<void> {
    throw unavailable('telephony.not_configured', '未配置 Asterisk 服务器（ASTERISK_SERVERS）');
  }
  async queuePause(): Promise<void> {
    throw unavailable('telephony.not_configured', '未配置 Asterisk 服务器（ASTERISK_SERVERS）');
  }
  members(): MemberState[] {
    return [];
  }
}

/** The forms in which a carrier may present one mainland number, so an AstDB lookup on CALLERID(num) matches any. */
export function numberVariants(number: string): string[] {
  const national = normaliseNumber(number);
  const out = new Set([national]);
  if (/^1\d{10}$/.test(national)) {
    out.add(`+86${national}`);
    out.add(`86${national}`);
    out.add(`0086${national}`);
  }
  return [...out];
}

/** A caller number reduced to its national digits (drops +86 / 0086 / 86 before a mobile). */
export function normaliseNumber(number: string): string {
  let d = number.replace(/[^\d+]/g, '');
  if (d.startsWith('+86')) d = d.slice(3);
  else if (d.startsWith('0086')) d = d.slice(4);
  else if (/^861\d{10}$/.test(d)) d = d.slice(2);
  return d.replace(/\D/g, '');
}

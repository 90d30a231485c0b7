/**
 * TelephonyHub: one AMI + one ARI client per configured Asterisk (e.g. one per centre). Every event
 * carries its `serverId`; commands are routed by it. The env parsing lives with the caller.
 */
import { EventEmitter } from 'events';
import { Logger, silentLogger } from '../logging/logger';
import { AmiClient } from './ami-client';
import { AmiConnectionOptions, AmiServerConfig, LinkStatus } from './ami-connection';
import { AriClient, AriClientOptions, AriServerConfig } from './ari-client';
import { unknownServer } from './errors';
import { TelephonyEvent } from './events';

export interface TelephonyServerConfig {
  id: string;
  ami: AmiServerConfig;
  ari: AriServerConfig;
}
export interface TelephonyHubOptions {
  logger?: Logger;
  ami?: Omit<AmiConnectionOptions, 'serverId' | 'logger'>;
  ari?: Omit<AriClientOptions, 'serverId' | 'logger'>;
}
export interface ServerStatus { id: string; ami: LinkStatus; ari: LinkStatus }
export interface HubStatus {
  /** Every link of every server has connected and resynced. */
  ready: boolean;
  servers: ServerStatus[];
}

export class TelephonyHub extends EventEmitter {
  private readonly servers = new Map<string, { ami: AmiClient; ari: AriClient }>();

  constructor(configs: TelephonyServerConfig[], opts: TelephonyHubOptions = {}) {
    super();
    const log = opts.logger ?? silentLogger();
    for (const c of configs) {
      if (this.servers.has(c.id)) throw new Error(`duplicate telephony server id ${c.id}`);
      const ami = new AmiClient(c.ami, { ...opts.ami, serverId: c.id, logger: log });
      const ari = new AriClient(c.ari, { ...opts.ari, serverId: c.id, logger: log });
      const forward = (e: TelephonyEvent) => this.emit('event', e);
      ami.on('event', forward);
      ari.on('event', forward);
      this.servers.set(c.id, { ami, ari });
    }
  }

  /** Subscribe to every domain event of every server. Returns an unsubscribe function. */
  onEvent(fn: (e: TelephonyEvent) => void): () => void {
    this.on('event', fn);
    return () => this.off('event', fn);
  }

  serverIds(): string[] {
    return [...this.servers.keys()];
  }

  ami(serverId: string): AmiClient {
    return this.get(serverId).ami;
  }

  ari(serverId: string): AriClient {
    return this.get(serverId).ari;
  }

  private get(serverId: string): { ami: AmiClient; ari: AriClient } {
    const s = this.servers.get(serverId);
    if (!s) throw unknownServer(serverId);
    return s;
  }

  start(): void {
    for (const s of this.servers.values()) {
      s.ami.start();
      s.ari.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].flatMap((s) => [s.ami.stop(), s.ari.stop()]));
  }

  /** Resolves when every link has resynced once (start-up); rejects after `timeoutMs`. */
  async whenResynced(timeoutMs = 10_000): Promise<void> {
    await Promise.all([...this.servers.values()].flatMap((s) => [s.ami.whenResynced(timeoutMs), s.ari.whenResynced(timeoutMs)]));
  }

  status(): HubStatus {
    const servers = [...this.servers.entries()].map(([id, s]) => ({ id, ami: s.ami.status(), ari: s.ari.status() }));
    return { ready: servers.every((s) => s.ami.state === 'resynced' && s.ari.state === 'resynced'), servers };
  }
}

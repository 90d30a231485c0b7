import client from 'prom-client';
import { Knex } from 'knex';
import { AppConfig } from '../config/load';
import { Logger } from '../logging/logger';
import { LiveStore } from '../live/store';
import { Api } from '../http/api';
import { AuditStore } from '../audit/store';
import { AuthService } from '../auth/service';
import { Readiness } from '../health/readiness';
import { WsGateway } from '../live/ws-gateway';
import { LeaderElector } from '../live/leader';

/**
 * Everything the foundation provides to a capability (calls, tickets, knowledge, live …).
 * Capabilities receive it in `register` and build their stores and services from it; no module
 * reaches for a global.
 */
export interface ServiceContext {
  config: AppConfig;
  log: Logger;
  knex: Knex;
  live: LiveStore;
  api: Api;
  audit: AuditStore;
  auth: AuthService;
  readiness: Readiness;
  metrics: client.Registry;
  ws: WsGateway;
  /** Held by one instance at a time: timers and work only one instance may do. */
  leader: LeaderElector;
  /** Shared between features: e.g. tickets expose their service here for calls to use. */
  services: Map<string, unknown>;
}

/** A capability plugged into the service. Registered in order; started after the HTTP server listens; stopped in reverse. */
export interface Feature {
  name: string;
  register(ctx: ServiceContext): void | Promise<void>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

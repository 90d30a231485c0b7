import { Knex } from 'knex';
import PgBoss from 'pg-boss';
import { TicketOutbox } from '../tickets/outbox';
import { EventRow } from '../tickets/store';
import { DownTicket, ticketEventFacts, ticketSnapshot } from './facts';

export const UP_QUEUE = 'network-up';
export const downQueue = (centre: string) => `network-down-${centre.toLowerCase()}`;

/**
 * pg-boss settings: an undelivered fact is offered again every 2 s with no practical limit (2·10⁹
 * tries), kept a year, and a job left active by a crashed process is offered again after 60 s.
 */
export const QUEUE_OPTIONS = { retryLimit: 2_000_000_000, retryDelay: 2, retryBackoff: false, retentionDays: 365, expireInSeconds: 60 } as const;

export interface Peer {
  code: string;
  url: string;
  key: string;
  unitCode: string;
}

/**
 * Queue jobs on the caller's own transaction: pg-boss runs its INSERT on the very connection that
 * holds `trx`, so the job commits or rolls back with the ticket change it reports (a transactional
 * outbox, with pg-boss as the queue).
 */
export async function enqueue(boss: PgBoss, trx: Knex.Transaction, queue: string, items: object[]): Promise<void> {
  if (!items.length) return;
  // knex hands a transaction's own connection to whoever asks its client (the one BEGIN ran on).
  const conn = (await (trx as unknown as { client: { acquireConnection(): Promise<{ query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> }> } }).client.acquireConnection());
  const keepUntil = new Date(Date.now() + QUEUE_OPTIONS.retentionDays * 86_400_000).toISOString();
  await boss.insert(
    items.map((data) => ({ name: queue, data, retryLimit: QUEUE_OPTIONS.retryLimit, retryDelay: QUEUE_OPTIONS.retryDelay, retryBackoff: false, expireInSeconds: QUEUE_OPTIONS.expireInSeconds, keepUntil })),
    { db: { executeSql: (text: string, values: unknown[]) => conn.query(text, values) as Promise<{ rows: unknown[] }> } },
  );
}

/**
 * A county: every ticket event goes up to the city (第二十五条), with the ticket as it stands after it.
 * A city: a ticket dispatched to a county's unit goes down to that county's platform (工单流转),
 * including one a one-key transfer dispatched on landing (第十九条).
 */
export class NetworkTicketOutbox implements TicketOutbox {
  constructor(
    private readonly boss: PgBoss,
    private readonly role: 'city' | 'county',
    private readonly centre: string,
    private readonly peers: Peer[],
    private readonly queued: (queue: string) => void,
  ) {}

  async ticketEvents(trx: Knex.Transaction, no: string, events: EventRow[]): Promise<void> {
    if (this.role === 'county') {
      await enqueue(this.boss, trx, UP_QUEUE, await ticketEventFacts(trx, this.centre, no, events));
      this.queued(UP_QUEUE);
      return;
    }
    for (const e of events) {
      if (e.event !== 'dispatch') continue;
      const peer = this.peers.find((p) => p.unitCode === e.data.mainUnit);
      if (!peer) continue;
      const down: DownTicket = { centre: this.centre, no, ticket: await ticketSnapshot(trx, no), reason: e.reason };
      await enqueue(this.boss, trx, downQueue(peer.code), [down]);
      this.queued(downQueue(peer.code));
    }
  }
}

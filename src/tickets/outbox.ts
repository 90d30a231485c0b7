import { Knex } from 'knex';
import { EventRow } from './store';

/**
 * Where a ticket's events also go when this centre belongs to a network (第二十五条: a county pushes
 * every ticket record and visit to the city in real time). Called inside the transaction that wrote
 * the events, so a fact is queued for the city exactly when it exists here, never before or without.
 */
export interface TicketOutbox {
  /** `events` were just written for ticket `no` by transaction `trx` (in order). */
  ticketEvents(trx: Knex.Transaction, no: string, events: EventRow[]): Promise<void>;
}

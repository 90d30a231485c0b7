import crypto from 'node:crypto';
import { Knex } from 'knex';
import { expect } from 'chai';
import { startTestService, TestService } from '../support/service';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createNetworkFeature, NetworkFeature } from '../../src/network/feature';
import { UP_QUEUE, enqueue } from '../../src/network/outbox';
import { EventRow } from '../../src/tickets/store';

/**
 * Issue 14 §1: a pushed fact is durable on the sending side because it is written in the same
 * transaction as the fact itself (a transactional outbox on pg-boss). A job queued in a transaction
 * that rolls back must not exist; one queued in a transaction that commits must, and is invisible to
 * other connections until then.
 *
 * PostgreSQL only: the network needs DATABASE_URL (feature.ts refuses NETWORK_ROLE without it),
 * because pg-boss keeps its own pool of connections to a PostgreSQL server, which the embedded
 * PGlite (one in-process connection, no server) cannot give it.
 */
describe('the network outbox is written in the transaction of the fact', function () {
  this.timeout(60_000);
  let county: TestService;
  let net: NetworkFeature;
  const marker = () => `outbox-test-${crypto.randomBytes(6).toString('hex')}`;
  const jobs = async (q: Knex, m: string) => Number((await q.raw(`select count(*)::int as n from pgboss.job where name = ? and data->>'factId' = ?`, [UP_QUEUE, m])).rows[0].n);
  const fact = (m: string) => ({ kind: 'call', factId: m, occurredAt: new Date().toISOString(), call: { id: 0 } });

  before(async () => {
    // The city is never reachable (port 9): whatever is queued stays queued.
    county = await startTestService({ features: [createTicketsFeature(), (net = createNetworkFeature())], env: { CENTRE_CODE: 'HX', NETWORK_ROLE: 'county', NETWORK_PARENT_URL: 'http://127.0.0.1:9', NETWORK_KEY: crypto.randomBytes(24).toString('hex') } });
  });
  after(async () => {
    await county?.db.knex.raw(`delete from pgboss.job where name = ? and data->>'factId' like 'outbox-test-%'`, [UP_QUEUE]);
    await county?.stop();
  });

  it('given a fact queued in a knex transaction, when the transaction rolls back, then pg-boss holds no job for it', async () => {
    const m = marker();
    let inside = -1;
    let outside = -1;
    const boom = new Error('roll back');
    await county.db.knex
      .transaction(async (trx) => {
        await enqueue(net.internals!.boss, trx, UP_QUEUE, [fact(m)]);
        inside = await jobs(trx, m);
        outside = await jobs(county.db.knex, m);
        throw boom;
      })
      .then(() => expect.fail('the transaction committed'), (err) => expect(err).to.equal(boom));
    // Written on the transaction's own connection: seen inside it, not by any other connection.
    expect(inside).to.equal(1);
    expect(outside).to.equal(0);
    expect(await jobs(county.db.knex, m)).to.equal(0);
  });

  it('given a fact queued in a knex transaction, when it commits, then the job is there (the check above can see one)', async () => {
    const m = marker();
    await county.db.knex.transaction(async (trx) => {
      await enqueue(net.internals!.boss, trx, UP_QUEUE, [fact(m)]);
    });
    expect(await jobs(county.db.knex, m)).to.equal(1);
  });

  it('given a ticket change that fails after its events were queued, then neither the change nor its facts remain', async () => {
    const op = await county.userToken(['operator'], { centre: 'HX' });
    const c = await county.http('POST', '/api/tickets', { token: op, body: { channel: 'phone', callerPhone: '13900007777', content: '环城镇积水，出行困难', category: 'help', domain: 'public_service' } });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    const no = c.body.no as string;
    const queued = async (q: Knex = county.db.knex) => Number((await q.raw(`select count(*)::int as n from pgboss.job where name = ? and data->>'ticketNo' = ?`, [UP_QUEUE, no])).rows[0].n);
    const before = await queued();
    expect(before, 'the create and accept events queued').to.equal(2);
    const boom = new Error('roll back');
    await county.db.knex
      .transaction(async (trx) => {
        const [e] = await trx('ticket_events').insert({ ticket_no: no, at: new Date(), event: 'progress', from_status: 'accepted', to_status: 'accepted', actor: 'test', data: '{}' }).returning('*');
        const row: EventRow = { id: Number(e.id), at: new Date(e.at), event: 'progress', fromStatus: 'accepted', toStatus: 'accepted', actor: 'test', actorUserId: null, actorUnit: null, reason: null, data: {} };
        // What every ticket change does in its transaction (tickets/act.ts): its events go to the outbox.
        await net.internals!.ticketOutbox.ticketEvents(trx, no, [row]);
        expect(await queued(trx)).to.equal(before + 1);
        throw boom;
      })
      .then(() => expect.fail('the transaction committed'), (err) => expect(err).to.equal(boom));
    expect(await queued()).to.equal(before);
    expect(await county.db.knex('ticket_events').where({ ticket_no: no, event: 'progress' })).to.have.length(0);
  });
});

import { Logger } from '../logging/logger';
import { maskPhone } from '../logging/mask';
import { TelephonyEvent } from '../telephony';
import { CallEvent, CallFacts, CallState, decideOutcome, needsCallback, nextCallState } from './call-state';
import { CallBatch } from './call-batch';
import { CallPatch, CallRow, CallStore } from './call-store';
import { StandbySteps } from './standby';
import { isPoolTimeout } from '../db/knex';

/** How long the first step of a call waits for the rest of its burst before the batch is written. */
const COALESCE_MS = 10;

/** Contexts where a citizen's call enters the dialplan (the carrier trunk and the 12345 entry). */
export const INBOUND_CONTEXTS = new Set(['from-carrier', 'hotline-entry', 'from-caller']);

export interface CallChange {
  call: CallRow;
  event: CallEvent | 'updated';
}

interface ChannelInfo {
  linkedId: string;
  channel: string;
  callerNumber?: string;
}

/**
 * Projects Asterisk's typed events onto call records. Each fact is keyed by the Asterisk event that
 * carried it, so a replayed or resynced event is a no-op, and the events of one call are applied in
 * order (a chain per linkedid), those that arrived together in one transaction under the call's row
 * lock, written by one statement (CallBatch).
 */
export class CallRecorder {
  private readonly channels = new Map<string, ChannelInfo>();
  /**
   * Queue joins per caller channel and queue as this instance read them from Asterisk's event
   * stream, in order. Every instance reads the same stream, so "the 2nd join" means the same fact on
   * each: the key of a join is this count, not the count of joins already in the database (an
   * instance lagging behind another would see the first join and its leave already written and
   * take the same join for a new one). Keyed by channel (present only for channels whose whole life
   * this instance read), then by queue, so a hangup forgets its channel in O(1).
   */
  private readonly joinsSeen = new Map<string, Map<string, number>>();
  private readonly queues = new Map<string, CallQueue>();
  private readonly listeners: Array<(c: CallChange) => void> = [];
  private readonly standby: StandbySteps<Step>;
  errors = 0;

  /**
   * `writes` says whether this instance writes call records now (the leader does; every instance
   * reading the same events and writing the same facts only repeated the work). While it says no,
   * steps are held for `holdMs` (see StandbySteps) and written if it says yes within that time.
   */
  constructor(
    private readonly store: CallStore,
    private readonly log: Logger,
    private readonly queueCentre: (queue: string) => string | null,
    private readonly writes: () => boolean = () => true,
    holdMs = 30_000,
  ) {
    this.standby = new StandbySteps<Step>(holdMs);
  }

  /**
   * This instance has become the writer (elected leader): the steps it held are queued for writing,
   * in order, call by call. Also done by the first step queued after the change; idempotent.
   */
  takeOver(): number {
    if (!this.writes() || !this.standby.size) return 0;
    const held = this.standby.takeAll();
    for (const h of held) for (const step of h.steps) this.queueStep(h.key, h.serverId, h.linkedId, step);
    if (held.length) this.log.info({ calls: held.length }, 'call record steps held while another instance wrote them queued for writing');
    return held.length;
  }

  onChange(fn: (c: CallChange) => void) {
    this.listeners.push(fn);
  }

  /** Wait until everything handed in so far is written (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size) await Promise.all([...this.queues.values()].map((q) => q.running ?? Promise.resolve()));
  }

  /** Wait until the work already queued for one call is written. */
  async idleFor(serverId: string, linkedId: string): Promise<void> {
    for (;;) {
      const q = this.queues.get(this.key(serverId, linkedId));
      if (!q?.running) return;
      await q.running;
    }
  }

  private key(serverId: string, id: string) {
    return `${serverId}/${id}`;
  }

  /** The linkedid of a channel we have seen, for events (recordings) that carry only the channel. */
  linkedIdOf(serverId: string, channelId: string): string | undefined {
    return this.channels.get(this.key(serverId, channelId))?.linkedId;
  }

  private linkedOf(serverId: string, channelId: string | undefined, linkedId: string | undefined): string | undefined {
    if (linkedId) return linkedId;
    return channelId ? this.channels.get(this.key(serverId, channelId))?.linkedId : undefined;
  }

  handle(e: TelephonyEvent): void {
    switch (e.type) {
      case 'ChannelCreated':
        this.channels.set(this.key(e.serverId, e.channelId), { linkedId: e.linkedId ?? e.channelId, channel: e.channel, callerNumber: e.callerNumber });
        // Joins are counted from the stream only for channels whose whole life this instance read.
        if (!e.synthetic && !this.joinsSeen.has(this.key(e.serverId, e.channelId))) {
          this.joinsSeen.set(this.key(e.serverId, e.channelId), new Map());
          if (this.joinsSeen.size > 50_000) this.joinsSeen.delete(this.joinsSeen.keys().next().value as string);
        }
        if (e.context && INBOUND_CONTEXTS.has(e.context) && (e.linkedId ?? e.channelId) === e.channelId) {
          // A call first seen through a resync (it began while we were away) is marked reconciled.
          this.enqueue(e.serverId, e.linkedId ?? e.channelId, (b, call) => this.patch(b, call, { caller_channel_id: call.caller_channel_id ?? e.channelId, caller_number: call.caller_number ?? e.callerNumber ?? null, dialled: call.dialled ?? e.exten ?? null, ...(e.synthetic && call.state === 'new' ? { reconciled: true } : {}) }), new Date(e.at));
        }
        return;
      case 'CallerJoinedQueue': {
        const linked = this.linkedOf(e.serverId, e.channelId, e.linkedId) ?? e.channelId;
        const joinsOfChannel = this.joinsSeen.get(this.key(e.serverId, e.channelId));
        const seen = e.synthetic || !joinsOfChannel ? 0 : (joinsOfChannel.get(e.queue) ?? 0) + 1;
        if (seen) joinsOfChannel!.set(e.queue, seen);
        this.enqueue(e.serverId, linked, (b, call) => {
          b.upsertLeg({ call_id: call.id, server_id: e.serverId, channel_id: e.channelId, channel: e.channel, role: 'caller', started_at: new Date(e.at) });
          // A caller may join the same queue again (back after a failed transfer): occurrences are counted.
          // A join while the records already have the caller in that queue is a replay (resync, another instance).
          const joins = b.count(`join:${e.channelId}:${e.queue}:`);
          const leaves = b.count(`leave:${e.channelId}:${e.queue}:`);
          const seenJoin = seen ? b.has(`join:${e.channelId}:${e.queue}:${seen}`) : false;
          if (joins > leaves) return null;
          // The n-th join of the stream already recorded (by another instance): a replay.
          if (seen && seenJoin) return null;
          // A resync reports the queue a caller is still in (Queue() running): if our records already
          // have that join, the report is the same join, not a new one.
          if (e.synthetic && joins > 0) return null;
          this.patch(b, call, {
            caller_channel_id: e.channelId,
            caller_number: call.caller_number ?? e.callerNumber ?? null,
            queue: e.queue,
            centre: call.centre ?? this.queueCentre(e.queue),
            queue_entered_at: call.queue_entered_at ?? new Date(e.at),
          });
          return this.transition(b, call, 'queue_joined', `join:${e.channelId}:${e.queue}:${seen || joins + 1}`, new Date(e.at));
        }, new Date(e.at));
        return;
      }
      case 'CallerLeftQueue':
        this.onCallerEvent(e.serverId, e.channelId, e.linkedId, (b, call) => {
          const joins = b.count(`join:${e.channelId}:${e.queue}:`);
          const leaves = b.count(`leave:${e.channelId}:${e.queue}:`);
          if (leaves >= joins) return null; // replayed
          this.patch(b, call, { queue_left_at: new Date(e.at) });
          return this.transition(b, call, 'queue_left', `leave:${e.channelId}:${e.queue}:${leaves + 1}`, new Date(e.at));
        });
        return;
      case 'CallerAbandoned':
        this.onCallerEvent(e.serverId, e.channelId, e.linkedId, (b, call) =>
          this.once(b, `abandon:${e.channelId}`, () => {
            this.patch(b, call, { wait_seconds: e.holdTimeSec ?? secondsSince(call.queue_entered_at, e.at) });
            return this.transition(b, call, 'abandoned', `abandon:${e.channelId}`, new Date(e.at));
          }),
        );
        return;
      case 'OperatorAnswered':
        this.onCallerEvent(e.serverId, e.channelId, e.linkedId, (b, call) => {
          if (e.memberChannelId && e.memberChannel) b.upsertLeg({ call_id: call.id, server_id: e.serverId, channel_id: e.memberChannelId, channel: e.memberChannel, role: 'operator', started_at: new Date(e.at), answered_at: new Date(e.at) });
          // One answer per time in a queue; a second report of the same answer (resync, another instance) is a replay.
          const joins = b.count(`join:${e.channelId}:`);
          const answers = b.count(`answer:${e.channelId}:`);
          if (answers >= Math.max(1, joins)) return null;
          this.patch(b, call, {
            answered_at: call.answered_at ?? new Date(e.at),
            operator_interface: e.memberInterface,
            wait_seconds: call.wait_seconds ?? e.holdTimeSec ?? secondsSince(call.queue_entered_at, e.at),
            queue: e.queue,
          });
          return this.transition(b, call, 'answered', `answer:${e.channelId}:${answers + 1}`, new Date(e.at));
        });
        return;
      case 'CallCompleted': {
        if (!e.channelId && !e.linkedId) return;
        this.onCallerEvent(e.serverId, e.channelId, e.linkedId, (b, call) => this.patch(b, call, { talk_seconds: e.talkTimeSec ?? null }));
        return;
      }
      case 'Transfer': {
        // Asterisk reports failed attempts too (Result: Fail / Invalid / Not Permitted): only a success moved the caller.
        if (!e.transfereeChannelId || e.result !== 'Success') return;
        // A blond transfer (the target still rings) is not a transfer yet: the target may refuse and
        // Asterisk ring the operator back. The service's own consultations ([hotline-consult]) are
        // decided by the linkage, which marks the call when the target answers: Asterisk can deliver
        // their AttendedTransfer late, without the target's state or context (seen on Asterisk 22.10,
        // where a busy target then still marked the call transferred). So an attended transfer moves
        // the call only when Asterisk says its target is up (TransferTargetChannelState 6).
        if (e.kind === 'attended' && (e.targetAnswered !== true || e.targetContext === 'hotline-consult')) return;
        // Keyed by what Asterisk reported (not when we received it), so every instance and replay agrees.
        const key = `transfer:${e.transfererChannelId ?? ''}:${e.transfereeChannelId}:${e.targetExten ?? ''}:${e.bridgeId ?? ''}`;
        this.onCallerEvent(e.serverId, e.transfereeChannelId, undefined, (b, call) =>
          this.once(b, key, () => {
            this.patch(b, call, { transferred: true });
            return this.transition(b, call, 'transferred', key, new Date(e.at));
          }),
        );
        return;
      }
      case 'ChannelHungUp': {
        const k = this.key(e.serverId, e.channelId);
        const linked = this.linkedOf(e.serverId, e.channelId, e.linkedId);
        this.channels.delete(k);
        this.joinsSeen.delete(k);
        if (!linked) return;
        this.enqueue(e.serverId, linked, (b, call) => {
          b.endLeg(e.serverId, e.channelId, new Date(e.at), e.cause);
          const isCaller = call.caller_channel_id === e.channelId || (!!e.synthetic && call.caller_channel_id === null && e.channelId === call.linkedid);
          if (!isCaller) return null;
          return this.once(b, `hangup:${e.channelId}`, () => {
            this.patch(b, call, { ended_at: call.ended_at ?? new Date(e.at), hangup_cause: e.cause, reconciled: call.reconciled || !!e.synthetic });
            return this.transition(b, call, e.synthetic ? 'reconciled_gone' : 'hangup', `hangup:${e.channelId}`, new Date(e.at));
          });
        }, undefined, true);
        return;
      }
      default:
        return;
    }
  }

  /** A channel variable the dialplan set (HOTLINE_OUTCOME): the busy fallback and restriction facts. */
  handleVariable(serverId: string, channelId: string, linkedId: string | undefined, name: string, value: string, at: number): void {
    if ((name === 'HOTLINE_QUEUE' || name === 'HOTLINE_CENTRE') && value) {
      // The entry's centre and queue, set before any Queue(): a busy-fallback caller who never joins a
      // queue still belongs to a centre and queue (call row, callback list, offered calls).
      const linked = this.linkedOf(serverId, channelId, linkedId) ?? channelId;
      if (linked !== channelId) return; // inherited onto a child channel: the caller's own is enough
      this.enqueue(serverId, linked, (b, call) => this.patch(b, call, name === 'HOTLINE_QUEUE'
        ? { queue: call.queue ?? value, centre: call.centre ?? this.queueCentre(value) }
        : { centre: call.centre ?? value }), new Date(at));
      return;
    }
    if (name !== 'HOTLINE_OUTCOME') return;
    const map: Record<string, [CallEvent, Partial<CallPatch>]> = {
      restricted: ['restricted', { restricted: true }],
      fallback: ['fallback', { fallback: 'prompt' }],
      'fallback-sms': ['fallback_sms', { fallback: 'sms' }],
      'fallback-message': ['fallback_message', { fallback: 'message' }],
    };
    const linked = this.linkedOf(serverId, channelId, linkedId) ?? channelId;
    if (value === 'fallback-message-failed') {
      // Record() left nothing (ERROR, or no `beep`): a busy-fallback call to call back, not a message.
      const key = `var:${channelId}:${value}`;
      this.enqueue(serverId, linked, (b, call) => this.once(b, key, () => {
        this.patch(b, call, { fallback: 'prompt', caller_channel_id: call.caller_channel_id ?? channelId });
        return null;
      }), new Date(at));
      return;
    }
    const m = map[value];
    if (!m) return;
    const key = `var:${channelId}:${value}`;
    this.enqueue(serverId, linked, (b, call) =>
      this.once(b, key, () => {
        this.patch(b, call, { ...m[1], caller_channel_id: call.caller_channel_id ?? channelId });
        return this.transition(b, call, m[0], key, new Date(at));
      }),
    new Date(at));
  }

  private onCallerEvent(serverId: string, channelId: string | undefined, linkedId: string | undefined, fn: Step['fn']) {
    const linked = this.linkedOf(serverId, channelId, linkedId) ?? channelId;
    if (!linked) return;
    this.enqueue(serverId, linked, fn);
  }

  /** Run `fn` (patches, then the transition keyed `key`) only if that Asterisk fact was not applied before. */
  private once(b: CallBatch, key: string, fn: () => CallEvent | null): CallEvent | null {
    return b.has(key) ? null : fn();
  }

  /** Record field changes on the row; they are written once, at the end of the batch. */
  private patch(b: CallBatch, call: CallRow, patch: CallPatch): null {
    for (const [k, v] of Object.entries(patch) as [keyof CallPatch, unknown][]) {
      if (v !== undefined && (call as unknown as Record<string, unknown>)[k] !== v) {
        (b.dirty as Record<string, unknown>)[k] = v;
        (call as unknown as Record<string, unknown>)[k] = v;
      }
    }
    return null;
  }

  private transition(b: CallBatch, call: CallRow, event: CallEvent, eventKey: string, at: Date): CallEvent | null {
    const from = call.state;
    const to = nextCallState(from, event);
    if (!to) {
      this.log.debug({ callId: call.id, linkedid: call.linkedid, from, event }, 'call event does not apply in this state; ignored');
      return null;
    }
    if (!b.record({ call_id: call.id, from_state: from, event, to_state: to, at, event_key: eventKey })) return null; // replayed
    const patch: CallPatch & { state: CallState } = { state: to };
    if (to === 'ended') {
      const facts: CallFacts = { queued: !!call.queue_entered_at, answered: !!call.answered_at, transferred: call.transferred, restricted: call.restricted, fallback: call.fallback };
      const outcome = decideOutcome(facts);
      patch.outcome = outcome;
      if (!call.ended_at) patch.ended_at = at;
      if (call.wait_seconds === null && call.queue_entered_at) patch.wait_seconds = secondsSince(call.queue_entered_at, (call.answered_at ?? at).getTime());
      if (needsCallback(outcome) && call.caller_number) {
        b.missed = { call_id: call.id, caller_number: call.caller_number, centre: call.centre, queue: call.queue, missed_at: at, wait_seconds: patch.wait_seconds ?? call.wait_seconds, reason: outcome };
      }
    }
    this.patch(b, call, patch);
    this.log.info({ callId: call.id, linkedid: call.linkedid, caller: maskPhone(call.caller_number), transition: `${from} -[${event}]-> ${to}` }, 'call transition');
    return event;
  }

  /**
   * Queue the work of one call. Steps of one call run in order; the steps that piled up while the
   * previous batch was being written run together in one transaction (one row lock, one update), so
   * the cost per call stays flat under load.
   */
  private enqueue(serverId: string, linkedId: string, fn: Step['fn'], startedAt?: Date, onlyIfExists = false): void {
    const k = this.key(serverId, linkedId);
    const step = { fn, startedAt, onlyIfExists };
    if (!this.writes()) return this.standby.hold(k, serverId, linkedId, step);
    // Held steps first: they are older than this one.
    if (this.standby.size) this.takeOver();
    this.queueStep(k, serverId, linkedId, step);
  }

  private queueStep(k: string, serverId: string, linkedId: string, step: Step): void {
    let q = this.queues.get(k);
    if (!q) {
      q = { serverId, linkedId, steps: [], running: null };
      this.queues.set(k, q);
    }
    q.steps.push(step);
    if (!q.running) q.running = this.drain(k, q);
  }

  private async drain(k: string, q: CallQueue): Promise<void> {
    // Asterisk reports a call's moments in bursts (a channel's variables, an answer with the queue's
    // leave, the hangups of every leg), over a few milliseconds. Waiting that long before writing the
    // first writes the burst in one transaction, not one per event (issue #13: 4.9 transactions per
    // call at 200 calls/s, 3.6 with 10 ms; 30 ms gave no fewer). The call's records are that much later.
    await new Promise((r) => setTimeout(r, COALESCE_MS));
    let attempt = 0;
    // Steps to write one per transaction: those of a batch that failed, so one bad fact loses only itself.
    let singly = 0;
    while (q.steps.length) {
      const batch = singly > 0 ? q.steps.splice(0, 1) : q.steps.splice(0);
      if (singly > 0) singly--;
      const changes: CallChange[] = [];
      try {
        // Three statements and the transaction's two: the call locked with its transition keys, the
        // steps applied in memory (CallBatch), everything they changed written by one statement.
        await this.store.knex.transaction(async (trx) => {
          let locked = await this.store.lockCallWithKeys(trx, q.serverId, q.linkedId);
          let b = locked ? new CallBatch(locked.keys) : null;
          for (const step of batch) {
            if (!locked) {
              if (step.onlyIfExists) continue;
              locked = await this.store.ensureCall(trx, q.serverId, q.linkedId, step.startedAt ?? new Date());
              b = new CallBatch(locked.keys);
            }
            const result = step.fn(b!, locked.call);
            changes.push({ call: locked.call, event: result ?? 'updated' });
          }
          if (locked) await this.store.writeBatch(trx, locked.call.id, b!);
        });
        for (const c of changes) for (const l of this.listeners) l(c);
        attempt = 0;
      } catch (err) {
        // No connection within the pool's timeout (the database overloaded): nothing of the batch was
        // written. It is tried again after a pause, ahead of the steps queued since, not dropped.
        if (isPoolTimeout(err) && attempt < 5) {
          attempt++;
          q.steps.unshift(...batch);
          await new Promise((r) => setTimeout(r, 250 * attempt));
          continue;
        }
        attempt = 0;
        // Nothing of a failed batch was written: its steps are tried again one by one, so the others
        // of the burst (a hangup written with a bad leg, say) are not lost with the one that failed.
        if (batch.length > 1) {
          q.steps.unshift(...batch);
          singly = batch.length;
          this.log.warn({ err: (err as Error).message, linkedid: q.linkedId, steps: batch.length }, 'call record batch failed; writing its steps one by one');
          continue;
        }
        this.errors++;
        this.log.error({ err: (err as Error).message, linkedid: q.linkedId }, 'call record write failed');
      }
    }
    q.running = null;
    if (!q.steps.length && this.queues.get(k) === q) this.queues.delete(k);
  }
}

interface Step {
  /** Applies the fact to the call row (patches) and the batch (transitions, legs); the transition's event, if one was recorded. */
  fn: (b: CallBatch, call: CallRow) => CallEvent | null;
  startedAt?: Date;
  onlyIfExists: boolean;
}

interface CallQueue {
  serverId: string;
  linkedId: string;
  steps: Step[];
  running: Promise<void> | null;
}

function secondsSince(from: Date | null, atMs: number): number | null {
  return from ? Math.max(0, Math.round((atMs - from.getTime()) / 1000)) : null;
}

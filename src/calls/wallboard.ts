import { Knex } from 'knex';
import { LiveStore } from '../live/store';
import { maskPhone } from '../logging/mask';
import { TelephonyEvent } from '../telephony';
import { OperatorView, boardView } from './operators';

/** Answered within this many seconds counts toward the service level (GB/T 33358: 15 s). */
export const SERVICE_LEVEL_SECONDS = 15;

export interface WaitingCaller {
  channelId: string;
  caller: string;
  since: number;
  position: number;
}

export interface QueueCounters {
  offered: number;
  answered: number;
  answeredWithinSl: number;
  abandoned: number;
  waitAnsweredSum: number;
  talkSum: number;
  completed: number;
}

export interface QueueBoard {
  queue: string;
  waiting: WaitingCaller[];
  longestWaitSince: number | null;
  inProgress: number;
  counters: QueueCounters;
  serviceLevel: number | null;
  abandonRate: number | null;
  averageSpeedOfAnswer: number | null;
  averageHandlingTime: number | null;
}

/** A queue's figures without the list of waiting callers (deltas carry only what changed). */
export type QueueStats = Omit<QueueBoard, 'waiting'> & { waitingCount: number };

/**
 * One change on the board. Clients keep the snapshot's `waiting` list and apply deltas to it:
 * `caller_joined` adds `caller`, `caller_left` / `abandoned` / `answered` remove `channelId`.
 */
export interface BoardDelta {
  kind: 'caller_joined' | 'caller_left' | 'answered' | 'abandoned' | 'completed' | 'operator';
  queue?: string;
  /** Epoch ms when the adapter saw the Asterisk event (for event→screen latency). */
  eventAt: number;
  stats?: QueueStats;
  caller?: WaitingCaller;
  operator?: OperatorView;
  channelId?: string;
}

const empty = (): QueueCounters => ({ offered: 0, answered: 0, answeredWithinSl: 0, abandoned: 0, waitAnsweredSum: 0, talkSum: 0, completed: 0 });

/** Today's date in Asia/Shanghai: counters reset at local midnight. */
export function shanghaiDay(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The supervisors' live view of each queue: who waits and for how long, calls in progress,
 * today's service level, abandon rate, ASA and AHT. Computed by the instance that ingests events
 * (the leader), mirrored to the live store as a snapshot, and published as deltas that every
 * instance fans out to its WebSocket clients.
 */
export class Wallboard {
  private readonly boards = new Map<string, { waiting: Map<string, WaitingCaller>; inProgress: Set<string>; counters: QueueCounters }>();
  private day = shanghaiDay(Date.now());
  /**
   * Operators' answered legs (member channel id → queue and answer time). An operator's handling time
   * ends with their own leg: after a transfer Asterisk's AgentComplete comes only when the caller
   * hangs up, and its TalkTime covers the whole call, so whichever ends first (the leg's hangup or
   * AgentComplete) counts, once.
   */
  private readonly legs = new Map<string, { queue: string; answeredAt: number }>();
  /** Callers' entry queue (HOTLINE_QUEUE) and whether they joined a queue: busy-fallback callers who never join are offered too. */
  private readonly entries = new Map<string, { queue: string; offered: boolean }>();
  /** Legs counted at their hangup whose AgentComplete has not come yet. */
  private readonly counted = new Set<string>();

  constructor(private readonly live: LiveStore, private readonly publish: (d: BoardDelta) => void) {}

  private board(queue: string) {
    let b = this.boards.get(queue);
    if (!b) {
      b = { waiting: new Map(), inProgress: new Set(), counters: empty() };
      this.boards.set(queue, b);
    }
    return b;
  }

  private rollDay(at: number) {
    const d = shanghaiDay(at);
    if (d !== this.day) {
      this.day = d;
      for (const b of this.boards.values()) b.counters = empty();
    }
  }

  view(queue: string): QueueBoard {
    const { waitingCount: _count, ...figures } = this.stats(queue);
    const waiting = [...this.board(queue).waiting.values()].sort((x, y) => x.since - y.since);
    return { ...figures, waiting, longestWaitSince: waiting.length ? waiting[0].since : null };
  }

  /** The figures of a queue in O(1): deltas are sent on every event, so they must stay cheap. */
  stats(queue: string): QueueStats {
    const b = this.board(queue);
    const c = b.counters;
    const first = b.waiting.values().next();
    const handled = c.answered + c.abandoned;
    return {
      queue,
      waitingCount: b.waiting.size,
      longestWaitSince: first.done ? null : first.value.since,
      inProgress: b.inProgress.size,
      counters: { ...c },
      serviceLevel: handled ? c.answeredWithinSl / handled : null,
      abandonRate: handled ? c.abandoned / handled : null,
      averageSpeedOfAnswer: c.answered ? c.waitAnsweredSum / c.answered : null,
      averageHandlingTime: c.completed ? c.talkSum / c.completed : null,
    };
  }

  snapshot(): QueueBoard[] {
    return [...this.boards.keys()].sort().map((q) => this.view(q));
  }

  /** Show these queues even before their first call today. */
  ensureQueues(queues: string[]) {
    for (const q of queues) this.board(q);
  }

  /** Rebuild today's counters from the call records (after a restart or on a new leader). */
  async loadToday(knex: Knex, now = Date.now()): Promise<void> {
    this.day = shanghaiDay(now);
    const since = new Date(`${this.day}T00:00:00+08:00`);
    const rows = await knex('calls')
      .where('started_at', '>=', since)
      .whereNotNull('queue')
      .select('queue')
      .count({ offered: '*' })
      .select(knex.raw(`count(*) filter (where answered_at is not null) as answered`))
      .select(knex.raw(`count(*) filter (where answered_at is not null and wait_seconds <= ?) as within_sl`, [SERVICE_LEVEL_SECONDS]))
      .select(knex.raw(`count(*) filter (where outcome = 'abandoned') as abandoned`))
      .select(knex.raw(`coalesce(sum(wait_seconds) filter (where answered_at is not null), 0) as wait_sum`))
      .select(knex.raw(`coalesce(sum(talk_seconds), 0) as talk_sum`))
      .select(knex.raw(`count(talk_seconds) as completed`))
      .groupBy('queue');
    for (const r of rows as Array<Record<string, string>>) {
      this.board(r.queue).counters = {
        offered: Number(r.offered),
        answered: Number(r.answered),
        answeredWithinSl: Number(r.within_sl),
        abandoned: Number(r.abandoned),
        waitAnsweredSum: Number(r.wait_sum),
        talkSum: Number(r.talk_sum),
        completed: Number(r.completed),
      };
    }
    await this.save();
  }

  handle(e: TelephonyEvent): void {
    this.rollDay(e.at);
    switch (e.type) {
      case 'CallerJoinedQueue': {
        const b = this.board(e.queue);
        if (b.waiting.has(e.channelId)) return;
        const entry = this.entries.get(e.channelId);
        if (entry) entry.offered = true;
        if (!e.synthetic) b.counters.offered++;
        const caller = { channelId: e.channelId, caller: maskPhone(e.callerNumber), since: e.at, position: e.position };
        b.waiting.set(e.channelId, caller);
        return this.emit('caller_joined', e.queue, e.at, e.channelId, caller);
      }
      case 'CallerAbandoned': {
        const b = this.board(e.queue);
        b.waiting.delete(e.channelId);
        b.counters.abandoned++;
        return this.emit('abandoned', e.queue, e.at, e.channelId);
      }
      case 'CallerLeftQueue': {
        const b = this.board(e.queue);
        if (!b.waiting.delete(e.channelId)) return;
        return this.emit('caller_left', e.queue, e.at, e.channelId);
      }
      case 'OperatorAnswered': {
        const b = this.board(e.queue);
        const w = b.waiting.get(e.channelId);
        b.waiting.delete(e.channelId);
        if (b.inProgress.has(e.channelId)) return;
        b.inProgress.add(e.channelId);
        if (e.memberChannelId) this.legs.set(e.memberChannelId, { queue: e.queue, answeredAt: e.at });
        const wait = e.holdTimeSec ?? (w ? Math.round((e.at - w.since) / 1000) : 0);
        b.counters.answered++;
        b.counters.waitAnsweredSum += wait;
        if (wait <= SERVICE_LEVEL_SECONDS) b.counters.answeredWithinSl++;
        return this.emit('answered', e.queue, e.at, e.channelId);
      }
      case 'CallCompleted': {
        const b = this.board(e.queue);
        if (e.channelId) b.inProgress.delete(e.channelId);
        else for (const id of b.inProgress) if (id && e.linkedId === id) b.inProgress.delete(id);
        // The operator's leg already ended (and was counted): this is the deferred AgentComplete.
        if (e.memberChannelId && !this.legs.has(e.memberChannelId) && this.counted.has(e.memberChannelId)) {
          this.counted.delete(e.memberChannelId);
          return this.emit('completed', e.queue, e.at, e.channelId);
        }
        if (e.memberChannelId) this.legs.delete(e.memberChannelId);
        b.counters.completed++;
        b.counters.talkSum += e.talkTimeSec ?? 0;
        return this.emit('completed', e.queue, e.at, e.channelId);
      }
      case 'VariableSet': {
        if (e.name === 'HOTLINE_QUEUE' && e.value && (e.linkedId ?? e.channelId) === e.channelId && !this.entries.has(e.channelId)) {
          this.entries.set(e.channelId, { queue: e.value, offered: false });
          if (this.entries.size > 50_000) this.entries.delete(this.entries.keys().next().value as string);
        }
        const entry = this.entries.get(e.channelId);
        if (e.name === 'HOTLINE_OUTCOME' && e.value.startsWith('fallback') && entry && !entry.offered) {
          // Sent to the busy fallback before joining any queue: offered to the centre all the same.
          entry.offered = true;
          this.board(entry.queue).counters.offered++;
          this.emit('caller_left', entry.queue, e.at, e.channelId);
        }
        return;
      }
      case 'ChannelHungUp': {
        this.entries.delete(e.channelId);
        const leg = this.legs.get(e.channelId);
        if (leg) {
          this.legs.delete(e.channelId);
          this.counted.add(e.channelId);
          if (this.counted.size > 10_000) this.counted.delete(this.counted.values().next().value as string);
          const b = this.board(leg.queue);
          b.counters.completed++;
          b.counters.talkSum += Math.max(0, Math.round((e.at - leg.answeredAt) / 1000));
          this.emit('completed', leg.queue, e.at, e.channelId);
        }
        // A caller gone while we were away (resync) leaves the board too.
        for (const [queue, b] of this.boards) {
          if (b.waiting.delete(e.channelId)) this.emit('caller_left', queue, e.at, e.channelId);
          if (b.inProgress.delete(e.channelId)) this.emit('completed', queue, e.at, e.channelId);
        }
        return;
      }
      default:
        return;
    }
  }

  stop() {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
  }

  operatorChanged(op: OperatorView) {
    this.publish({ kind: 'operator', eventAt: op.since, operator: boardView(op) });
  }

  private emit(kind: BoardDelta['kind'], queue: string, at: number, channelId?: string, caller?: WaitingCaller) {
    this.publish({ kind, queue, eventAt: at, channelId, caller, stats: this.stats(queue) });
    this.scheduleSave();
  }

  private saveTimer: NodeJS.Timeout | null = null;
  /** The snapshot in the live store is refreshed at most every 250 ms: a late joiner's snapshot is that fresh, deltas do the rest. */
  private scheduleSave() {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      // A failed write is retried by the next change; the snapshot is a convenience, deltas are the feed.
      this.save().catch(() => undefined);
    }, 250);
    this.saveTimer.unref();
  }

  private saving = false;
  private dirty = false;
  /** Mirror the snapshot to the live store (coalesced: at most one write in flight). */
  private async save(): Promise<void> {
    if (this.saving) {
      this.dirty = true;
      return;
    }
    this.saving = true;
    try {
      do {
        this.dirty = false;
        await this.live.set('board:snapshot', JSON.stringify(this.snapshot()));
      } while (this.dirty);
    } finally {
      this.saving = false;
    }
  }

  static async readSnapshot(live: LiveStore): Promise<QueueBoard[]> {
    const raw = await live.get('board:snapshot');
    return raw ? (JSON.parse(raw) as QueueBoard[]) : [];
  }
}

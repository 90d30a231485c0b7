/**
 * Scenario driver: N simulated operators (PJSIP phones that answer after a delay and talk for a
 * while) and callers arriving at a steady rate who abandon after their patience runs out.
 */
import type { Simulator } from './index';
import type { Channel } from './core/channel';

export interface ScenarioOptions {
  operators: number;
  callersPerMinute: number;
  /** Queue the operators join (default q-pjsip, where the carrier trunk sends calls). */
  queue?: string;
  trunk?: string;
  answerDelayMs?: number;
  talkTimeMs?: number;
  /** Callers hang up if nobody has answered after this long (default 30 s). */
  patienceMs?: number;
  /** Operator endpoint ids are `${prefix}${n}` (default "op"). */
  prefix?: string;
}

export interface ScenarioStats { placed: number; answered: number; abandoned: number; completed: number }

export class ScenarioDriver {
  readonly stats: ScenarioStats = { placed: 0, answered: 0, abandoned: 0, completed: 0 };
  private timers = new Set<NodeJS.Timeout>();
  private arrival?: NodeJS.Timeout;
  private readonly ops: string[] = [];
  private seq = 0;
  private readonly onState = (ch: Channel): void => this.stateChanged(ch);

  constructor(private readonly sim: Simulator, private readonly o: ScenarioOptions) {}

  start(): void {
    const { context } = this.sim;
    const queue = this.o.queue ?? 'q-pjsip';
    if (!context.queues.queues.has(queue)) throw new Error(`scenario: no queue ${queue} in queues.conf`);
    for (let i = 1; i <= this.o.operators; i++) {
      const id = `${this.o.prefix ?? 'op'}${i}`;
      if (!context.endpoints.get(id)) context.endpoints.add(id, 'operators-out', { num: id, name: `Operator ${id}` });
      this.sim.setEndpointBehaviour(id, { answerAfterMs: this.o.answerDelayMs ?? 1000 });
      this.sim.registerEndpoint(id);
      context.queues.add(queue, `PJSIP/${id}`, { name: `Operator ${id}`, stateInterface: `PJSIP/${id}` });
      this.ops.push(id);
    }
    context.pbx.on('chanstate', this.onState);
    if (this.o.callersPerMinute > 0) {
      const every = 60000 / this.o.callersPerMinute;
      this.arrival = setInterval(() => { void this.placeCaller(); }, every);
    }
  }

  stop(): void {
    if (this.arrival) clearInterval(this.arrival);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sim.context.pbx.off('chanstate', this.onState);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
  }

  async placeCaller(): Promise<string> {
    const n = ++this.seq;
    const num = `1380013${String(n % 10000).padStart(4, '0')}`;
    const id = await this.sim.placeInboundCall({ from: `"${num}" <${num}>`, to: '12345', trunk: this.o.trunk ?? 'carrier' });
    this.stats.placed++;
    this.later(this.o.patienceMs ?? 30000, () => {
      const ch = this.sim.context.pbx.channels.get(id);
      if (ch && !ch.bridge && !ch.hungup) { this.stats.abandoned++; this.sim.hangup(id); }
    });
    return id;
  }

  /** An operator's phone answered: talk, then the operator hangs up (BYE). */
  private stateChanged(ch: Channel): void {
    if (ch.state !== 6 || !ch.endpoint || !this.ops.includes(ch.endpoint)) return;
    this.stats.answered++;
    this.later(this.o.talkTimeMs ?? 30000, () => {
      if (!ch.hungup) { this.stats.completed++; this.sim.hangup(ch.id); }
    });
  }
}

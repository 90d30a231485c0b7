/**
 * Prometheus view of the telephony links: state per link, and counters read from the adapters at
 * scrape time (the adapters keep plain numbers; no prom-client calls on the event hot path).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { ConnectionState } from './events';
import { HubStatus } from './hub';

const STATES: ConnectionState[] = ['connecting', 'connected', 'reconnecting', 'resynced', 'failed', 'stopped'];

export interface StatusSource { status(): HubStatus }

const COUNTERS: Array<{ name: string; help: string; keys: string[] }> = [
  { name: 'hotline_telephony_events_total', help: 'Domain events produced from AMI/ARI', keys: ['eventsMapped'] },
  { name: 'hotline_telephony_frames_total', help: 'AMI frames / ARI messages received', keys: ['framesIn', 'messagesIn'] },
  { name: 'hotline_telephony_skipped_total', help: 'Garbage, invalid JSON and unknown events logged and skipped', keys: ['garbage', 'invalidJson', 'unknownEvents'] },
  { name: 'hotline_telephony_command_failures_total', help: 'Commands that failed or timed out', keys: ['commandErrors', 'commandTimeouts'] },
  { name: 'hotline_telephony_resyncs_total', help: 'Resyncs run after (re)connect', keys: ['resyncs'] },
];

export function registerTelephonyMetrics(registry: Registry, hub: StatusSource): void {
  const last = new Map<string, number>();
  const labelsOf = (server: string, link: string) => ({ server, link });
  new Gauge({
    name: 'hotline_telephony_link_state', help: '1 for the current state of each AMI/ARI link', labelNames: ['server', 'link', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const s of hub.status().servers) for (const l of [s.ami, s.ari]) for (const st of STATES) this.set({ ...labelsOf(s.id, l.link), state: st }, l.state === st ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotline_telephony_link_up', help: '1 when the link is connected (connected or resynced)', labelNames: ['server', 'link'], registers: [registry],
    collect() {
      for (const s of hub.status().servers) for (const l of [s.ami, s.ari]) this.set(labelsOf(s.id, l.link), l.state === 'connected' || l.state === 'resynced' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotline_telephony_tracked_channels', help: 'Channels the adapter tracks (AMI: all, ARI: in the Stasis app)', labelNames: ['server', 'link'], registers: [registry],
    collect() {
      for (const s of hub.status().servers) {
        this.set(labelsOf(s.id, 'ami'), s.ami.counters.trackedChannels ?? 0);
        this.set(labelsOf(s.id, 'ari'), s.ari.counters.trackedChannels ?? 0);
      }
    },
  });
  const reconnects = new Counter({ name: 'hotline_telephony_reconnects_total', help: 'Reconnect attempts per link', labelNames: ['server', 'link'], registers: [registry],
    collect() {
      for (const s of hub.status().servers) for (const l of [s.ami, s.ari]) bump(this, `r|${s.id}|${l.link}`, labelsOf(s.id, l.link), l.reconnects);
    },
  });
  void reconnects;
  for (const def of COUNTERS) {
    new Counter({ name: def.name, help: def.help, labelNames: ['server', 'link', 'kind'], registers: [registry],
      collect() {
        for (const s of hub.status().servers) {
          for (const l of [s.ami, s.ari]) {
            for (const k of def.keys) {
              if (l.counters[k] === undefined) continue;
              bump(this, `${def.name}|${s.id}|${l.link}|${k}`, { ...labelsOf(s.id, l.link), kind: k }, l.counters[k]);
            }
          }
        }
      },
    });
  }

  function bump(c: Counter<string>, key: string, labels: Record<string, string>, value: number): void {
    const prev = last.get(key) ?? 0;
    // A counter only goes up; a recreated adapter (value below prev) restarts from its own count.
    const delta = value >= prev ? value - prev : value;
    last.set(key, value);
    if (delta > 0) c.inc(labels, delta);
    else c.inc(labels, 0);
  }
}

/** The simulator on ephemeral ports with a TelephonyHub connected to it, for end-to-end adapter tests. */
import { startSimulator, Simulator } from '../../../src/simulator';
import { TelephonyHub } from '../../../src/telephony/hub';
import { TelephonyEvent } from '../../../src/telephony/events';
import { until } from '../../support/until';

export interface Harness {
  sim: Simulator;
  hub: TelephonyHub;
  events: TelephonyEvent[];
  waitFor<T extends TelephonyEvent['type']>(type: T, pred?: (e: Extract<TelephonyEvent, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<TelephonyEvent, { type: T }>>;
  stop(): Promise<void>;
}

export async function startHarness(opts: { amiReconnectMs?: number; ariReconnectMs?: number; timeScale?: number; confDir?: string } = {}): Promise<Harness> {
  const sim = await startSimulator({ timeScale: opts.timeScale ?? 0.1, confDir: opts.confDir });
  const hub = new TelephonyHub([{
    id: 'centre-1',
    ami: { host: '127.0.0.1', port: sim.amiPort, username: 'hotline', password: 'hotline' },
    ari: { url: `http://127.0.0.1:${sim.ariPort}`, username: 'hotline', password: 'hotline', app: 'hotline' },
  }], {
    ami: { keepaliveMs: 0, commandTimeoutMs: 3000, backoff: { initialMs: opts.amiReconnectMs ?? 40, maxMs: (opts.amiReconnectMs ?? 40) * 4, minMs: (opts.amiReconnectMs ?? 40) / 2 } },
    ari: { pingMs: 0, commandTimeoutMs: 3000, backoff: { initialMs: opts.ariReconnectMs ?? 40, maxMs: (opts.ariReconnectMs ?? 40) * 4, minMs: (opts.ariReconnectMs ?? 40) / 2 } },
  });
  const events: TelephonyEvent[] = [];
  hub.onEvent((e) => events.push(e));
  hub.start();
  await hub.whenResynced(5000);
  return {
    sim, hub, events,
    waitFor: (type, pred = () => true, timeoutMs = 5000) =>
      until(() => events.find((e) => e.type === type && pred(e as never)) as never, { timeoutMs, what: type }),
    async stop() {
      await hub.stop();
      await sim.stop();
    },
  };
}

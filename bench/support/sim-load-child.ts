/**
 * The load side of bench/calls-load.ts, in its own process so the simulator and the service do not
 * share an event loop: the Asterisk simulator running dialplan/, N operators answering in the city
 * queue, and callers placed at a fixed rate. Talks to the parent over IPC.
 */
import path from 'node:path';
import { startSimulator } from '../../src/simulator';
import { ScenarioDriver } from '../../src/simulator/scenario';
import { silentLogger } from '../../src/logging/logger';

const operators = Number(process.argv[2] ?? 100);
const talkMs = Number(process.argv[3] ?? 10_000);

(async () => {
  const sim = await startSimulator({ confDir: path.resolve(__dirname, '../../dialplan'), logger: silentLogger(), soundMs: 200 });
  const driver = new ScenarioDriver(sim, { operators, callersPerMinute: 0, queue: 'q-qy', prefix: 'load', answerDelayMs: 200, talkTimeMs: talkMs, patienceMs: 600_000 });
  driver.start();
  let maxChannels = 0;
  let maxCalls = 0;
  const sampler = setInterval(() => {
    maxChannels = Math.max(maxChannels, sim.context.pbx.channels.size);
    // A call is its caller's channel from the carrier trunk, whatever it is doing (queue, talk, prompt).
    let calls = 0;
    for (const ch of sim.context.pbx.channels.values()) if (ch.name.startsWith('PJSIP/carrier-')) calls++;
    maxCalls = Math.max(maxCalls, calls);
  }, 50);
  process.send!({ type: 'ready', amiPort: sim.amiPort, ariPort: sim.ariPort, spoolDir: sim.spoolDir });
  process.on('message', async (m: { type: string; rate?: number; seconds?: number }) => {
    if (m.type === 'run') {
      const ids: string[] = [];
      const total = Math.round(m.rate! * m.seconds!);
      const started = Date.now();
      // Place callers on a fixed schedule; catch up in bursts if the loop fell behind.
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * m.rate!));
          while (ids.length < due) {
            const p = driver.placeCaller();
            ids.push('');
            const slot = ids.length - 1;
            void p.then((id) => (ids[slot] = id));
          }
          if (ids.length >= total) {
            clearInterval(tick);
            resolve();
          }
        }, 5);
      });
      const placedSeconds = (Date.now() - started) / 1000;
      // Wait until every call has ended in the simulator.
      while (sim.context.pbx.channels.size > 0) await new Promise((r) => setTimeout(r, 100));
      process.send!({ type: 'done', ids, placedSeconds, maxChannels, maxCalls, stats: driver.stats });
    } else if (m.type === 'stop') {
      clearInterval(sampler);
      driver.stop();
      await sim.stop();
      process.exit(0);
    }
  });
})();

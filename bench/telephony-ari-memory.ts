/**
 * Memory over 10,000 Stasis calls through the simulator: each call enters the app, gets a per-channel
 * listener, is answered and hung up over ARI (unmodified ari-client) while AMI tracks it too. Prints
 * heap after forced GC at checkpoints and what the adapters still hold; flat numbers = no leak.
 *
 *   npx tsx bench/telephony-ari-memory.ts [calls=10000] [concurrency=25]
 */
import v8 from 'v8';
import vm from 'vm';
import { startSimulator } from '../src/simulator';
import { TelephonyHub } from '../src/telephony/hub';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const calls = Number(process.argv[2] ?? 10_000);
const concurrency = Number(process.argv[3] ?? 25);

async function main(): Promise<void> {
  const sim = await startSimulator({ timeScale: 0.01 });
  const hub = new TelephonyHub([{ id: 'c1', ami: { host: '127.0.0.1', port: sim.amiPort, username: 'hotline', password: 'hotline' },
    ari: { url: `http://127.0.0.1:${sim.ariPort}`, username: 'hotline', password: 'hotline', app: 'hotline' } }],
  { ami: { keepaliveMs: 0 }, ari: { pingMs: 0 } });
  hub.start();
  await hub.whenResynced(10_000);
  const ari = hub.ari('c1');
  const ami = hub.ami('c1');
  const waiting = new Map<string, () => void>();
  const ended = new Map<string, () => void>();
  hub.onEvent((e) => {
    if (e.type === 'StasisStarted') waiting.get(e.channelId)?.();
    if (e.type === 'ChannelHungUp') ended.get(e.channelId)?.();
  });

  async function oneCall(): Promise<void> {
    const id = await sim.placeInboundCall({ from: '13800138000', to: '12345', trunk: 'carrier-ari' });
    const gone = new Promise<void>((r) => ended.set(id, r));
    if (!ari.view.channels.has(id)) await new Promise<void>((r) => waiting.set(id, r));
    waiting.delete(id);
    let dtmf = 0;
    ari.onChannel(id, (e) => { if (e.type === 'DtmfReceived') dtmf++; });
    await ari.answer(id);
    await ari.hangup(id);
    await gone;
    ended.delete(id);
    void dtmf;
  }

  const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed / 1e6; };
  const base = heap();
  console.log(`calls=${calls} concurrency=${concurrency}; heap after start-up ${base.toFixed(1)} MB`);
  const t0 = Date.now();
  let done = 0;
  const checkpoints = new Set([1, 2, 3, 4].map((q) => Math.round((calls * q) / 4)));
  async function worker(): Promise<void> {
    while (done < calls) {
      done++;
      const n = done;
      await oneCall();
      if (checkpoints.has(n)) {
        const s = ari.status().counters;
        console.log(`${String(n).padStart(6)} calls: heap ${heap().toFixed(1)} MB | ari tracked ${s.trackedChannels}, listeners ${s.channelListeners} | ` +
          `ami tracked ${ami.view.channels.size}, answered-map ${ami.view.answered.size} | ${Math.round(n / ((Date.now() - t0) / 1000))} calls/s`);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  // let the last hangups drain before the final figure
  await new Promise((r) => setTimeout(r, 200));
  const s = ari.status().counters;
  console.log(`final: heap ${heap().toFixed(1)} MB (start ${base.toFixed(1)} MB) | ari tracked ${s.trackedChannels}, listeners ${s.channelListeners} | ami tracked ${ami.view.channels.size}`);
  await hub.stop();
  await sim.stop();
}

main().catch((e) => { console.error(e); process.exit(1); });

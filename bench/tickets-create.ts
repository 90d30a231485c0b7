import { startTestService } from '../test/support/service';
import { createTicketsFeature } from '../src/tickets/feature';
import { LogSmsGateway } from '../src/tickets/sms/log';
import { silentLogger } from '../src/logging/logger';

/**
 * Ticket creation through HTTP at a steady request rate (open loop: requests are sent on schedule
 * whether or not earlier ones have answered, so queueing shows in the latency), on the real
 * PostgreSQL and Redis. Each POST /api/tickets numbers the ticket, runs repeat detection, accepts
 * it, starts its dispatch deadline and writes the event and audit rows.
 *
 *   npx tsx bench/tickets-create.ts [--rate 100] [--seconds 20]
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const CONTENTS = ['小区楼下烧烤店油烟扰民', '路灯损坏多日无人维修', '咨询社保卡补办所需材料', '供暖温度不达标', '公交站台损坏', '工地夜间施工噪音扰民', '拖欠农民工工资'];

async function main() {
  const rate = arg('rate', 100);
  const seconds = arg('seconds', 20);
  const t = await startTestService({ features: [createTicketsFeature({ sms: new LogSmsGateway(silentLogger()), timerIntervalMs: 5_000 })] });
  try {
    const token = await t.userToken(['operator']);
    const total = rate * seconds;
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const at = started + (i * 1000) / rate;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = {
        channel: 'phone', callerName: '测试', callerPhone: `139${String(i).padStart(8, '0')}`, content: `${CONTENTS[i % CONTENTS.length]} 第${i}号`,
        category: i % 3 === 0 ? 'consultation' : 'complaint', domain: 'public_service',
      };
      const s = performance.now();
      inflight.push(
        fetch(`${t.baseUrl}/api/tickets`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
          .then(async (res) => {
            await res.arrayBuffer();
            if (res.status !== 201) errors++;
            latencies.push(performance.now() - s);
          })
          .catch(() => {
            errors++;
          }),
      );
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - started) / 1000;
    console.log(`tickets-create: ${total} POST /api/tickets at ${rate}/s for ${seconds} s (achieved ${(total / elapsed).toFixed(1)}/s), errors ${errors}`);
    console.log(`latency p50 ${pct(latencies, 50).toFixed(1)} ms   p90 ${pct(latencies, 90).toFixed(1)} ms   p99 ${pct(latencies, 99).toFixed(1)} ms   max ${Math.max(...latencies).toFixed(1)} ms`);
  } finally {
    await t.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

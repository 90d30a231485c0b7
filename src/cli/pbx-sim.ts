/**
 * npm run pbx-sim -- --ami-port P --ari-port Q [--username U --password W] [--conf-dir D]
 *                    [--operators N --callers-per-minute R] [--time-scale S]
 * Runs the Asterisk simulator standalone; with operators/callers, calls flow through its queues.
 */
import { startSimulator } from '../simulator';
import { ScenarioDriver } from '../simulator/scenario';
import { createLogger } from '../logging/logger';

const USAGE = 'usage: pbx-sim --ami-port P --ari-port Q [--username U] [--password W] [--conf-dir D] [--operators N --callers-per-minute R] [--time-scale S]';
const FLAGS = new Set(['--ami-port', '--ari-port', '--username', '--password', '--conf-dir', '--operators', '--callers-per-minute', '--time-scale', '--host']);

function parse(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    const [k, inline] = a.split('=', 2);
    if (!FLAGS.has(k)) throw new Error(`unknown argument '${a}'`);
    const v = inline ?? argv[++i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${k} needs a value`);
    out[k.slice(2)] = v;
  }
  return out;
}

function int(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * 100) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

async function main(): Promise<void> {
  let args: Record<string, string>;
  let amiPort: number; let ariPort: number; let operators: number; let cpm: number; let timeScale: number;
  try {
    args = parse(process.argv.slice(2));
    amiPort = int(args['ami-port'], '--ami-port', 5038);
    ariPort = int(args['ari-port'], '--ari-port', 8088);
    if (amiPort > 65535 || ariPort > 65535) throw new Error('ports must be at most 65535');
    operators = int(args.operators, '--operators', 0);
    cpm = Number(args['callers-per-minute'] ?? 0);
    if (!Number.isFinite(cpm) || cpm < 0) throw new Error(`--callers-per-minute must be a non-negative number, got '${args['callers-per-minute']}'`);
    if ((operators > 0) !== (cpm > 0) && cpm > 0) throw new Error('--callers-per-minute needs --operators');
    timeScale = Number(args['time-scale'] ?? 1);
    if (!(timeScale > 0)) throw new Error('--time-scale must be a positive number');
  } catch (err) {
    console.error(`pbx-sim: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'pbx-sim', level: process.env.LOG_LEVEL ?? 'info' });
  const sim = await startSimulator({ host: args.host, amiPort, ariPort, username: args.username, password: args.password, confDir: args['conf-dir'], logger, timeScale });
  console.log(`pbx-sim: AMI on ${args.host ?? '127.0.0.1'}:${sim.amiPort}, ARI on http://${args.host ?? '127.0.0.1'}:${sim.ariPort}/ari (user ${args.username ?? 'hotline'})`);
  let driver: ScenarioDriver | undefined;
  if (operators > 0) {
    driver = new ScenarioDriver(sim, { operators, callersPerMinute: cpm, answerDelayMs: 2000, talkTimeMs: 20000, patienceMs: 30000 });
    driver.start();
    console.log(`pbx-sim: ${operators} operators, ${cpm} callers/minute`);
  }
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    driver?.stop();
    await sim.stop();
    if (driver) console.log(`pbx-sim: stopped (${JSON.stringify(driver.stats)})`); else console.log('pbx-sim: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => { void stop(); });
  process.on('SIGTERM', () => { void stop(); });
}

main().catch((err) => { console.error(`pbx-sim: ${(err as Error).message}`); process.exit(1); });

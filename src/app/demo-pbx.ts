import fs from 'node:fs';
import path from 'node:path';
import { AsteriskServer } from '../config/load';
import { Logger } from '../logging/logger';
import { startSimulator, Simulator } from '../simulator';
import { ScenarioDriver } from '../simulator/scenario';

export const DIALPLAN_DIR = path.resolve(__dirname, '..', '..', 'dialplan');

export interface DemoPbx {
  server: AsteriskServer;
  simulator: Simulator;
  /** Begin the simulated operators and callers (after the service is listening). */
  startTraffic(): void;
  stop(): Promise<void>;
}

/**
 * The demo's Asterisk: the built-in simulator running the project's own dialplan/, with the demo
 * operators' softphones registered and a scenario driver placing calls, so a newcomer who runs
 * `npm start` sees calls flowing through the city queue.
 */
export async function startDemoPbx(opts: { dataDir: string; operators: number; callersPerMinute: number; log: Logger }): Promise<DemoPbx> {
  const spoolDir = path.resolve(opts.dataDir, 'asterisk-spool');
  fs.mkdirSync(spoolDir, { recursive: true });
  const simulator = await startSimulator({ confDir: DIALPLAN_DIR, spoolDir, amiPort: 0, ariPort: 0, logger: opts.log.child({ component: 'simulator' }) });
  for (const ep of ['1001', '1002', '1003', '12333', '12348']) simulator.registerEndpoint(ep);
  let driver: ScenarioDriver | null = null;
  return {
    simulator,
    server: {
      id: 'demo',
      ami: { host: '127.0.0.1', port: simulator.amiPort, username: 'hotline', password: 'hotline' },
      ari: { url: `http://127.0.0.1:${simulator.ariPort}`, username: 'hotline', password: 'hotline', app: 'hotline' },
      spoolDir,
      queueLog: simulator.queueLogPath,
    },
    startTraffic() {
      if (opts.operators <= 0) return;
      driver = new ScenarioDriver(simulator, { operators: opts.operators, callersPerMinute: opts.callersPerMinute, queue: 'q-qy', prefix: 'sim', answerDelayMs: 3000, talkTimeMs: 45_000, patienceMs: 60_000 });
      driver.start();
    },
    async stop() {
      driver?.stop();
      await simulator.stop();
    },
  };
}

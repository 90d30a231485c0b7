import { Feature } from './context';
import { createKnowledgeFeature } from '../knowledge/feature';
import { createTicketsFeature } from '../tickets/feature';
import { createTelephonyFeature } from '../telephony/feature';
import { createCallsFeature } from '../calls/feature';
import { createReportsFeature } from '../reports/feature';
import { createNetworkFeature } from '../network/feature';
import { startDemoPbx } from './demo-pbx';

/**
 * The capabilities this service runs, in dependency order. Each capability folder exports a
 * `create…Feature()` and is listed here once: the single place where the service is wired.
 */
export function allFeatures(): Feature[] {
  return [
    // Tickets first: knowledge takes the tickets' working-day calendar for 知识提问 deadlines.
    createTicketsFeature(),
    createKnowledgeFeature(),
    createTelephonyFeature({
      // Demo mode without ASTERISK_SERVERS: the built-in simulator runs the project's dialplan.
      demoPbx: (ctx) => startDemoPbx({ dataDir: ctx.config.dataDir, operators: ctx.config.simulatorOperators, callersPerMinute: ctx.config.simulatorCallersPerMinute, log: ctx.log }),
    }),
    createCallsFeature(),
    createReportsFeature(),
    // Last: it hooks the tickets' and calls' writes (NETWORK_ROLE city/county; nothing when standalone).
    createNetworkFeature(),
  ];
}

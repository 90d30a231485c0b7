import { Feature } from './context';
import { createKnowledgeFeature } from '../knowledge/feature';
import { createTicketsFeature } from '../tickets/feature';

/**
 * The capabilities this service runs, in dependency order. Each capability folder exports a
 * `create…Feature()` and is listed here once: the single place where the service is wired.
 */
export function allFeatures(): Feature[] {
  return [
    createKnowledgeFeature(),
    createTicketsFeature(),
  ];
}

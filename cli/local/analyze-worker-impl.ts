import { documentClient } from '../../functions/adapters/clients.ts';
import { composeSteps, dynamoStores, loadRuleSet, type RuleSources } from '../../functions/compose.ts';
import type { AuditConfig } from '../../functions/core/config.ts';
import type { WorkItem } from '../../functions/core/payloads.ts';
import type { LocalStore } from './store.ts';
import { LOCAL_TABLES } from './store.ts';
import { openTrail } from './trail.ts';
import { mark, timed } from './timing.ts';

/** What each worker needs to build its own Analyze: plain data, cloned into the thread. */
export interface WorkerSetup {
  trail: string;
  clientConfig: LocalStore['clientConfig'];
  config: AuditConfig;
  sources: RuleSources;
}

/**
 * Builds the same Analyze step as the in-process binding, through the same composition root,
 * with this thread's own store client (a worker publishes no metrics: Publish runs in the main thread).
 */
export async function createWorkerAnalyze(setup: WorkerSetup): Promise<(item: WorkItem) => Promise<unknown>> {
  const trail = openTrail(setup.trail);
  const steps = composeSteps({
    trail,
    stores: dynamoStores(documentClient(setup.clientConfig), LOCAL_TABLES),
    metrics: {
      publish: async () => {
        throw new Error('a worker thread publishes no metrics');
      },
    },
    rules: await loadRuleSet(setup.sources),
    config: setup.config,
    now: () => new Date(),
  });
  mark('worker-ready');
  return timed('analyze', steps.Analyze);
}

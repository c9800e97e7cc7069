import { documentClient } from '../../functions/adapters/clients.ts';
import { composeSteps, dynamoStores, loadRuleSet, type RuleSources } from '../../functions/compose.ts';
import type { AuditConfig } from '../../functions/core/config.ts';
import type { CorrelateItem, WorkItem } from '../../functions/core/payloads.ts';
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

/** The steps a worker thread runs: Analyze's work items and Correlate's shards. */
export interface WorkerSteps {
  analyze: (item: WorkItem) => Promise<unknown>;
  correlate: (item: CorrelateItem) => Promise<unknown>;
}

/**
 * Builds the same Analyze and Correlate steps as the in-process binding, through the same
 * composition root, with this thread's own store client (a worker publishes no metrics: Publish
 * runs in the main thread).
 */
export async function createWorkerSteps(setup: WorkerSetup): Promise<WorkerSteps> {
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
  return { analyze: timed('analyze', steps.Analyze), correlate: steps.Correlate };
}

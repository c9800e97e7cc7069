import { DynamoAggregateStore } from '../../functions/adapters/aggregates.ts';
import { DynamoFindingsStore, DynamoRunStore } from '../../functions/adapters/dynamodb.ts';
import { documentClient } from '../../functions/adapters/clients.ts';
import { analyzeStep } from '../../functions/analyze/analyze.ts';
import { DEFAULT_AGGREGATE_TTL_DAYS, type AuditConfig } from '../../functions/core/config.ts';
import type { WorkItem } from '../../functions/core/ports.ts';
import { loadSuppressions } from '../../functions/core/suppressions.ts';
import { loadDetectors, type DetectorSources } from '../../functions/detectors/load.ts';
import type { LocalStore } from './store.ts';
import { LOCAL_TABLES } from './store.ts';
import { openTrail } from './trail.ts';
import { mark, timed } from './timing.ts';

/** What each worker needs to build its own Analyze: plain data, cloned into the thread. */
export interface WorkerSetup {
  trail: string;
  clientConfig: LocalStore['clientConfig'];
  config: Pick<AuditConfig, 'readConcurrency' | 'writeConcurrency'>;
  sources: DetectorSources;
  suppressionsFile?: string;
}

/** Builds the same Analyze step as the in-process binding, with this thread's own clients. */
export async function createWorkerAnalyze(setup: WorkerSetup): Promise<(item: WorkItem) => Promise<unknown>> {
  const client = documentClient(setup.clientConfig);
  const trail = openTrail(setup.trail);
  const detectors = await loadDetectors(setup.sources);
  const suppressor = setup.suppressionsFile ? await loadSuppressions(setup.suppressionsFile) : undefined;
  const analyze = analyzeStep(
    {
      runs: new DynamoRunStore(client, LOCAL_TABLES.state),
      reader: trail.reader,
      findings: new DynamoFindingsStore(client, LOCAL_TABLES.findings),
      aggregates: new DynamoAggregateStore(client, LOCAL_TABLES.state, DEFAULT_AGGREGATE_TTL_DAYS),
      now: () => new Date(),
    },
    {
      detectors,
      readConcurrency: setup.config.readConcurrency,
      writeConcurrency: setup.config.writeConcurrency,
      ...(suppressor ? { suppressor } : {}),
    },
  );
  mark('worker-ready');
  return timed('analyze', analyze);
}

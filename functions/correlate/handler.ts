import { documentClient } from '../adapters/clients.ts';
import { DynamoAggregateStore } from '../adapters/aggregates.ts';
import { DynamoFindingsStore } from '../adapters/dynamodb.ts';
import { aggregateTtlDaysFromEnv, configFromEnv, requireEnv, ruleFilesFromEnv } from '../core/config.ts';
import { loadSuppressions } from '../core/suppressions.ts';
import { loadDetectors } from '../detectors/load.ts';
import { correlateStep } from './correlate.ts';

const config = configFromEnv();
const files = ruleFilesFromEnv();
const client = documentClient();
// The same detectors (and evidence files) as Analyze: a bad rule fails the cold start, naming its file.
const detectors = await loadDetectors(files);
const suppressor = files.suppressionsFile ? await loadSuppressions(files.suppressionsFile) : undefined;

/** Lambda entry of the Correlate task (one shard of the run's touched keys). */
export const handler = correlateStep(
  {
    aggregates: new DynamoAggregateStore(client, requireEnv('STATE_TABLE'), aggregateTtlDaysFromEnv()),
    findings: new DynamoFindingsStore(client, requireEnv('FINDINGS_TABLE')),
    now: () => new Date(),
  },
  {
    detectors,
    concurrency: config.writeConcurrency,
    ...(files.findingsTtlDays ? { findingsTtlDays: files.findingsTtlDays } : {}),
    ...(suppressor ? { suppressor } : {}),
  },
);

import { documentClient, s3Client } from '../adapters/clients.ts';
import { DynamoAggregateStore } from '../adapters/aggregates.ts';
import { DynamoFindingsStore, DynamoRunStore } from '../adapters/dynamodb.ts';
import { S3Trail } from '../adapters/s3.ts';
import { aggregateTtlDaysFromEnv, configFromEnv, requireEnv, ruleFilesFromEnv } from '../core/config.ts';
import { loadSuppressions } from '../core/suppressions.ts';
import { loadDetectors } from '../detectors/load.ts';
import { analyzeStep } from './analyze.ts';

const config = configFromEnv();
const files = ruleFilesFromEnv();
const client = documentClient();
const stateTable = requireEnv('STATE_TABLE');
const trail = new S3Trail(s3Client(), requireEnv('TRAIL_BUCKET'));
// Rules ship inside the bundle (see the stack); a bad rule fails the cold start, naming its file.
const detectors = await loadDetectors(files);
const suppressor = files.suppressionsFile ? await loadSuppressions(files.suppressionsFile) : undefined;

/** Lambda entry of the Analyze task (one work item). */
export const handler = analyzeStep(
  {
    runs: new DynamoRunStore(client, stateTable),
    reader: trail,
    findings: new DynamoFindingsStore(client, requireEnv('FINDINGS_TABLE')),
    aggregates: new DynamoAggregateStore(client, stateTable, aggregateTtlDaysFromEnv()),
    now: () => new Date(),
  },
  {
    detectors,
    readConcurrency: config.readConcurrency,
    writeConcurrency: config.writeConcurrency,
    ...(files.findingsTtlDays ? { findingsTtlDays: files.findingsTtlDays } : {}),
    ...(suppressor ? { suppressor } : {}),
  },
);

import { cloudWatchClient, documentClient } from '../adapters/clients.ts';
import { CloudWatchMetrics } from '../adapters/cloudwatch.ts';
import { DynamoAggregateStore } from '../adapters/aggregates.ts';
import { DynamoFindingsCounter, DynamoRunStore } from '../adapters/dynamodb.ts';
import { configFromEnv, requireEnv, ruleFilesFromEnv } from '../core/config.ts';
import { loadDetectors } from '../detectors/load.ts';
import { publishStep } from './publish.ts';

const config = configFromEnv();
const { sigmaDir } = ruleFilesFromEnv();
const detectors = await loadDetectors(sigmaDir ? { sigmaDir } : {});

/** Lambda entry of the Publish task. */
const client = documentClient();

export const handler = publishStep(
  {
    runs: new DynamoRunStore(client, requireEnv('STATE_TABLE')),
    findings: new DynamoFindingsCounter(client, requireEnv('FINDINGS_TABLE')),
    correlations: new DynamoAggregateStore(client, requireEnv('STATE_TABLE')),
    metrics: new CloudWatchMetrics(cloudWatchClient()),
    now: () => new Date(),
  },
  { namespace: config.metricsNamespace, detectorIds: detectors.map((d) => d.meta.id) },
);

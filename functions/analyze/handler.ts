import { documentClient, s3Client } from '../adapters/clients.ts';
import { DynamoFindingsStore, DynamoRunStore, detectorStates } from '../adapters/dynamodb.ts';
import { S3Trail } from '../adapters/s3.ts';
import { configFromEnv, requireEnv } from '../core/config.ts';
import { loadSuppressions } from '../core/suppressions.ts';
import { loadDetectors } from '../detectors/load.ts';
import { analyzeStep } from './analyze.ts';

const config = configFromEnv();
const client = documentClient();
const stateTable = requireEnv('STATE_TABLE');
const trail = new S3Trail(s3Client(), requireEnv('TRAIL_BUCKET'));
// Rules ship inside the bundle (see the stack); a bad rule fails the cold start, naming its file.
const detectors = await loadDetectors({
  ...(process.env.SIGMA_RULES_DIR ? { sigmaDir: process.env.SIGMA_RULES_DIR } : {}),
  ...(process.env.AWS_IP_RANGES_FILE ? { awsIpRangesFile: process.env.AWS_IP_RANGES_FILE } : {}),
});
const suppressor = process.env.SUPPRESSIONS_FILE ? await loadSuppressions(process.env.SUPPRESSIONS_FILE) : undefined;

/** Lambda entry of the Analyze task (one work item). */
export const handler = analyzeStep(
  {
    runs: new DynamoRunStore(client, stateTable),
    reader: trail,
    findings: new DynamoFindingsStore(client, requireEnv('FINDINGS_TABLE')),
    detectorState: detectorStates(client, stateTable),
    now: () => new Date(),
  },
  {
    detectors,
    readConcurrency: config.readConcurrency,
    writeConcurrency: config.writeConcurrency,
    ...(process.env.FINDINGS_TTL_DAYS ? { findingsTtlDays: Number(process.env.FINDINGS_TTL_DAYS) } : {}),
    ...(suppressor ? { suppressor } : {}),
  },
);

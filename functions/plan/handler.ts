import { documentClient, s3Client } from '../adapters/clients.ts';
import { DynamoRunStore } from '../adapters/dynamodb.ts';
import { S3Trail } from '../adapters/s3.ts';
import { configFromEnv, requireEnv } from '../core/config.ts';
import { planStep } from './plan.ts';

const runs = new DynamoRunStore(documentClient(), requireEnv('STATE_TABLE'));
const trail = new S3Trail(s3Client(), requireEnv('TRAIL_BUCKET'));

/** Lambda entry of the Plan task. */
export const handler = planStep({ lister: trail, runs, now: () => new Date() }, configFromEnv());

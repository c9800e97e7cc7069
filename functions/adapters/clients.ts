import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one place SDK clients are built. Clients take the standard credential and region chain and
 * honour AWS_ENDPOINT_URL_* (local servers, VPC endpoints); retries use the SDK's adaptive mode
 * so throttling backs off instead of failing the work item.
 */
const common = { maxAttempts: 8, retryMode: 'adaptive' } as const;

export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, ...config }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function s3Client(config: ConstructorParameters<typeof S3Client>[0] = {}): S3Client {
  return new S3Client({
    ...common,
    // S3-compatible local servers need path-style addressing; AWS accepts it too.
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    ...config,
  });
}

export function cloudWatchClient(): CloudWatchClient {
  return new CloudWatchClient({ ...common });
}

export function sfnClient(): SFNClient {
  return new SFNClient({ ...common });
}

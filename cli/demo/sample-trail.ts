import { gzipSync } from 'node:zlib';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';

/**
 * A small, deterministic trail that replays the workshop's activity generator (SID 341) amid
 * ordinary background traffic, on the day of the workshop. Ids are redacted: account
 * 123456789012, addresses in 192.0.2.0/24.
 */
export const SAMPLE = {
  account: '123456789012',
  region: 'us-east-1',
  day: '2017-11-28',
  instanceId: 'i-0a1b2c3d4e5f60789',
  instanceAddress: '192.0.2.50',
  officeAddress: '192.0.2.10',
  /** The generator Lambda's address, from which the stolen instance credentials are used. */
  attackerAddress: '192.0.2.200',
  trailName: 'ReInvent2017-SID341-AbCdE',
  logGroup: 'ReInvent2017-SID341-AbCdE',
  bucket: 'reinvent2017-sid341-logs-123456789012',
  /** The backfill range that covers every file. */
  from: '2017-11-28T19:00:00Z',
  to: '2017-11-28T20:00:00Z',
} as const;

const ACCOUNT = SAMPLE.account;

const alice: UserIdentity = {
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEALICE0001',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  accountId: ACCOUNT,
  accessKeyId: 'AKIAEXAMPLEALICE0001',
  userName: 'alice',
};

const instanceSession: UserIdentity = {
  type: 'AssumedRole',
  principalId: `AROAEXAMPLEWEBROLE01:${SAMPLE.instanceId}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReInvent2017-SID341-InstanceRole/${SAMPLE.instanceId}`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLEINSTANCE1',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLEWEBROLE01',
      arn: `arn:aws:iam::${ACCOUNT}:role/ReInvent2017-SID341-InstanceRole`,
      accountId: ACCOUNT,
      userName: 'ReInvent2017-SID341-InstanceRole',
    },
    attributes: { creationDate: '2017-11-28T18:55:00Z', mfaAuthenticated: 'false' },
    // IMDSv1, as the workshop's instance fetched its credentials.
    ec2RoleDelivery: '1.0',
  },
};

const generator: UserIdentity = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEGENROLE01:ReInvent2017-SID341-Generator',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReInvent2017-SID341-GeneratorRole/ReInvent2017-SID341-Generator`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLEGENERATR1',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLEGENROLE01',
      arn: `arn:aws:iam::${ACCOUNT}:role/ReInvent2017-SID341-GeneratorRole`,
      accountId: ACCOUNT,
      userName: 'ReInvent2017-SID341-GeneratorRole',
    },
    attributes: { creationDate: '2017-11-28T19:00:00Z', mfaAuthenticated: 'false' },
  },
};

interface Call {
  at: string;
  who: UserIdentity;
  from: string;
  source: string;
  name: string;
  params?: Record<string, unknown> | null;
  agent?: string;
  region?: string;
  error?: string;
  dataEvent?: boolean;
}

let sequence = 0;

function record(call: Call): CloudTrailRecord {
  sequence++;
  const id = String(sequence).padStart(12, '0');
  const rec: CloudTrailRecord = {
    eventVersion: '1.05',
    userIdentity: call.who,
    eventTime: `${SAMPLE.day}T${call.at}Z`,
    eventSource: call.source,
    eventName: call.name,
    awsRegion: call.region ?? SAMPLE.region,
    sourceIPAddress: call.from,
    userAgent: call.agent ?? 'aws-sdk-python/1.12.0 Python/3.6 Linux Boto3/1.4.7',
    requestParameters: call.params ?? null,
    responseElements: null,
    requestID: `5a1d0000-0000-4000-8000-${id}`,
    eventID: `e1d00000-0000-4000-8000-${id}`,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
  if (call.error) {
    rec.errorCode = call.error;
    rec.errorMessage = 'User is not authorized to perform this operation';
  }
  if (call.dataEvent) {
    rec.readOnly = true;
    rec.managementEvent = false;
    rec.eventCategory = 'Data';
  } else rec.managementEvent = true;
  return rec;
}

const onInstance = (at: string, source: string, name: string, params?: Record<string, unknown>): Call => ({
  at,
  who: instanceSession,
  from: SAMPLE.instanceAddress,
  source,
  name,
  agent: 'aws-sdk-go/1.12.8 (go1.9; linux; amd64) amazon-ssm-agent/2.2.93.0',
  ...(params ? { params } : {}),
});
const byAlice = (at: string, source: string, name: string, params?: Record<string, unknown>): Call => ({
  at,
  who: alice,
  from: SAMPLE.officeAddress,
  source,
  name,
  agent: 'aws-cli/1.14.2 Python/3.6.3 Darwin/17.2.0 botocore/1.8.6',
  ...(params ? { params } : {}),
});
const byGenerator = (at: string, source: string, name: string, params?: Record<string, unknown>): Call => ({
  at,
  who: generator,
  from: SAMPLE.attackerAddress,
  source,
  name,
  ...(params ? { params } : {}),
});
const stolen = (
  at: string,
  source: string,
  name: string,
  params: Record<string, unknown>,
  dataEvent = false,
): Call => ({
  at,
  who: instanceSession,
  from: SAMPLE.attackerAddress,
  source,
  name,
  params,
  dataEvent,
});

/** The sample's log files: stamp, region, calls. Several share a 5-minute stamp, as in real trails. */
export function sampleFiles(): { stamp: string; region: string; uniqueId: string; records: CloudTrailRecord[] }[] {
  sequence = 0;
  const trailArn = `arn:aws:cloudtrail:${SAMPLE.region}:${ACCOUNT}:trail/${SAMPLE.trailName}`;
  return [
    {
      stamp: '19:05',
      region: SAMPLE.region,
      uniqueId: 'A1b2C3d4E5f6G7h8',
      records: [
        onInstance('19:00:12', 'ssm.amazonaws.com', 'UpdateInstanceInformation', {
          instanceId: SAMPLE.instanceId,
          agentVersion: '2.2.93.0',
        }),
        byAlice('19:00:40', 'ec2.amazonaws.com', 'DescribeInstances'),
        onInstance('19:01:03', 'ec2.amazonaws.com', 'DescribeTags', {
          filterSet: { items: [{ name: 'resource-id', valueSet: { items: [{ value: SAMPLE.instanceId }] } }] },
        }),
        byGenerator('19:01:30', 'logs.amazonaws.com', 'CreateLogGroup', { logGroupName: SAMPLE.logGroup }),
        byGenerator('19:01:31', 'cloudtrail.amazonaws.com', 'CreateTrail', {
          name: SAMPLE.trailName,
          s3BucketName: SAMPLE.bucket,
          isMultiRegionTrail: false,
          includeGlobalServiceEvents: true,
          enableLogFileValidation: true,
        }),
        byGenerator('19:01:33', 'cloudtrail.amazonaws.com', 'StartLogging', { name: trailArn }),
        byAlice('19:02:10', 'cloudtrail.amazonaws.com', 'DescribeTrails', { trailNameList: [] }),
      ],
    },
    {
      stamp: '19:05',
      region: SAMPLE.region,
      uniqueId: 'H8g7F6e5D4c3B2a1',
      records: [
        // The stolen instance credentials, used from the generator Lambda's own address.
        stolen('19:02:45', 's3.amazonaws.com', 'ListObjects', { bucketName: SAMPLE.bucket, prefix: '' }, true),
        stolen('19:02:46', 's3.amazonaws.com', 'GetBucketPolicy', { bucketName: SAMPLE.bucket, policy: '' }),
        onInstance('19:03:00', 'sts.amazonaws.com', 'GetCallerIdentity'),
        byAlice('19:03:30', 's3.amazonaws.com', 'ListBuckets'),
      ],
    },
    {
      stamp: '19:10',
      region: SAMPLE.region,
      uniqueId: 'Q9w8E7r6T5y4U3i2',
      records: [
        byGenerator('19:05:10', 'cloudtrail.amazonaws.com', 'StopLogging', { name: trailArn }),
        onInstance('19:05:12', 'ssm.amazonaws.com', 'UpdateInstanceInformation', {
          instanceId: SAMPLE.instanceId,
          agentVersion: '2.2.93.0',
        }),
        byGenerator('19:05:40', 'logs.amazonaws.com', 'DeleteLogGroup', { logGroupName: SAMPLE.logGroup }),
        byGenerator('19:05:41', 'cloudtrail.amazonaws.com', 'DeleteTrail', { name: trailArn }),
        // Near misses the workshop's rules must not report.
        byAlice('19:06:00', 'logs.amazonaws.com', 'CreateLogGroup', { logGroupName: '/app/web' }),
        byAlice('19:06:05', 's3.amazonaws.com', 'DeleteBucket', { bucketName: 'scratch-123456789012' }),
      ],
    },
    {
      stamp: '19:15',
      region: 'us-west-2',
      uniqueId: 'Z1x2C3v4B5n6M7a8',
      records: [
        { ...byAlice('19:10:00', 'ec2.amazonaws.com', 'DescribeSecurityGroups'), region: 'us-west-2' },
        { ...byAlice('19:11:00', 'lambda.amazonaws.com', 'ListFunctions20150331'), region: 'us-west-2' },
      ],
    },
  ].map((file) => ({ ...file, records: file.records.map(record) }));
}

/**
 * Writes the sample trail under `dir` as CloudTrail lays it out (gzip files in date folders, plus
 * a digest file the auditor must skip). Deterministic: the same bytes and times on every call.
 */
export async function writeSampleTrail(dir: string): Promise<string[]> {
  const keys: string[] = [];
  for (const file of sampleFiles()) {
    const stamp = new Date(`${SAMPLE.day}T${file.stamp}:00Z`);
    const key = buildLogKey({ trailPrefix: '', account: ACCOUNT }, file.region, stamp, file.uniqueId);
    await writeFileAt(join(dir, ...key.split('/')), gzipSync(JSON.stringify({ Records: file.records })), stamp);
    keys.push(key);
  }
  const digestKey = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${SAMPLE.region}/2017/11/28/${ACCOUNT}_CloudTrail-Digest_${SAMPLE.region}_${SAMPLE.trailName}_${SAMPLE.region}_20171128T192000Z.json.gz`;
  await writeFileAt(
    join(dir, ...digestKey.split('/')),
    gzipSync(JSON.stringify({ awsAccountId: ACCOUNT, digestStartTime: '2017-11-28T18:20:00Z' })),
    new Date('2017-11-28T19:20:00Z'),
  );
  return keys;
}

async function writeFileAt(path: string, body: Uint8Array, mtime: Date): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
  // Like `aws s3 sync`, which sets a file's time to the object's LastModified.
  await utimes(path, mtime, mtime);
}

import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../functions/core/cloudtrail.ts';
import { buildLogKey } from '../functions/core/trail-keys.ts';

/** A small, fast, seeded PRNG (mulberry32): the same corpus on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = ['123456789012', '210987654321', '111122223333'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const CALLS: [string, string][] = [
  ['ec2.amazonaws.com', 'DescribeInstances'],
  ['ec2.amazonaws.com', 'DescribeSecurityGroups'],
  ['s3.amazonaws.com', 'GetBucketAcl'],
  ['s3.amazonaws.com', 'ListBuckets'],
  ['sts.amazonaws.com', 'AssumeRole'],
  ['kms.amazonaws.com', 'Decrypt'],
  ['ssm.amazonaws.com', 'UpdateInstanceInformation'],
  ['logs.amazonaws.com', 'CreateLogStream'],
  ['lambda.amazonaws.com', 'ListFunctions20150331'],
  ['iam.amazonaws.com', 'GetRole'],
  ['dynamodb.amazonaws.com', 'DescribeTable'],
  ['cloudtrail.amazonaws.com', 'DescribeTrails'],
];
// Rare attack signals, about one record in 5,000, so detectors and the store do real work.
const SIGNALS: [string, string][] = [
  ['cloudtrail.amazonaws.com', 'StopLogging'],
  ['logs.amazonaws.com', 'DeleteLogGroup'],
  ['guardduty.amazonaws.com', 'DeleteDetector'],
  ['kms.amazonaws.com', 'ScheduleKeyDeletion'],
];

function hex(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

/** One realistic management event of about 1.5 KB. */
export function syntheticRecord(rand: () => number, account: string, region: string, time: Date): CloudTrailRecord {
  const signal = rand() < 0.0002;
  const [source, name] = signal ? SIGNALS[Math.floor(rand() * SIGNALS.length)]! : CALLS[Math.floor(rand() * CALLS.length)]!;
  const kind = rand();
  // A fleet of 40 instances, each calling from its own address with hourly sessions.
  const fleet = Math.floor(rand() * 40);
  const instance = `i-0${fleet.toString(16).padStart(16, 'a')}`;
  const hour = new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000);
  const userIdentity =
    kind < 0.4
      ? {
          type: 'AssumedRole',
          principalId: `AROAEXAMPLEAPPROLE01:${instance}`,
          arn: `arn:aws:sts::${account}:assumed-role/AppServerRole/${instance}`,
          accountId: account,
          accessKeyId: `ASIAEXAMPLE${fleet.toString().padStart(9, '0')}`,
          sessionContext: {
            sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEAPPROLE01', arn: `arn:aws:iam::${account}:role/AppServerRole`, accountId: account, userName: 'AppServerRole' },
            webIdFederationData: {},
            attributes: { creationDate: hour.toISOString().replace('.000', ''), mfaAuthenticated: 'false' },
            ec2RoleDelivery: '2.0',
          },
        }
      : kind < 0.8
        ? {
            type: 'IAMUser',
            principalId: `AIDA${hex(rand, 16).toUpperCase()}`,
            arn: `arn:aws:iam::${account}:user/deployer-${Math.floor(rand() * 20)}`,
            accountId: account,
            accessKeyId: `AKIA${hex(rand, 16).toUpperCase()}`,
            userName: `deployer-${Math.floor(rand() * 20)}`,
          }
        : { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' };
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: time.toISOString().replace('.000', ''),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: kind < 0.4 ? `192.0.2.${fleet + 1}` : kind < 0.8 ? `192.0.2.${Math.floor(rand() * 20) + 100}` : 'cloudformation.amazonaws.com',
    userAgent: kind < 0.4 ? 'aws-sdk-java/2.25.10 Linux/6.1.72 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy' : 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.72 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances',
    requestParameters: {
      filterSet: { items: [{ name: 'tag:Environment', valueSet: { items: [{ value: 'production' }] } }, { name: 'instance-state-name', valueSet: { items: [{ value: 'running' }] } }] },
      maxResults: 1000,
      resourceArn: `arn:aws:${source.split('.')[0]}:${region}:${account}:resource/${hex(rand, 24)}`,
    },
    responseElements: null,
    requestID: `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`,
    eventID: `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-8${hex(rand, 3)}-${hex(rand, 12)}`,
    readOnly: !signal,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${source.split('.')[0]}.${region}.amazonaws.com` },
    sessionCredentialFromConsole: undefined,
  };
}

export interface CorpusStats {
  dir: string;
  files: number;
  records: number;
  gzipBytes: number;
  largestJsonBytes: number;
}

/**
 * Writes a deterministic corpus of about `megabytes` MB of gzip under `dir` (CloudTrail's key
 * layout; 1 to 2,000 records a file, skewed to small files as real trails are), unless a
 * complete one is there already.
 */
export async function ensureCorpus(dir: string, megabytes: number, seed = 341): Promise<CorpusStats> {
  const marker = join(dir, 'corpus.json');
  try {
    const done = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(marker, 'utf8'))) as CorpusStats & { megabytes: number; seed: number };
    if (done.megabytes === megabytes && done.seed === seed) return done;
  } catch {
    // No complete corpus yet.
  }
  const rand = prng(seed);
  const stats: CorpusStats = { dir, files: 0, records: 0, gzipBytes: 0, largestJsonBytes: 0 };
  let clock = Date.parse('2026-10-01T00:00:00Z');
  const target = megabytes * 1024 * 1024;
  while (stats.gzipBytes < target) {
    const account = ACCOUNTS[stats.files % ACCOUNTS.length]!;
    const region = REGIONS[Math.floor(stats.files / ACCOUNTS.length) % REGIONS.length]!;
    // Log-uniform size: many small files, a few of up to 2,000 records.
    const count = Math.max(1, Math.min(2000, Math.round(Math.exp(rand() * Math.log(2000)))));
    const stamp = new Date(clock);
    const records = Array.from({ length: count }, (_, i) => syntheticRecord(rand, account, region, new Date(clock - 300_000 + i * 97)));
    const json = JSON.stringify({ Records: records });
    const body = gzipSync(json);
    const key = buildLogKey({ trailPrefix: '', account }, region, stamp, hex(rand, 16));
    const path = join(dir, ...key.split('/'));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, body);
    await utimes(path, stamp, stamp);
    stats.files++;
    stats.records += count;
    stats.gzipBytes += body.byteLength;
    stats.largestJsonBytes = Math.max(stats.largestJsonBytes, Buffer.byteLength(json));
    clock += 60_000;
  }
  await writeFile(marker, JSON.stringify({ ...stats, megabytes, seed }));
  return stats;
}

/** Every log file path of a corpus, sorted. */
export async function corpusFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.json.gz')) files.push(path);
    }
  };
  await walk(join(dir, 'AWSLogs'));
  return files.sort();
}

export async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

import { mkdir, mkdtemp, readFile, readdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../functions/core/cloudtrail.ts';
import { buildLogKey, parseTrailKey } from '../functions/core/trail-keys.ts';

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
  const [source, name] = signal
    ? SIGNALS[Math.floor(rand() * SIGNALS.length)]!
    : CALLS[Math.floor(rand() * CALLS.length)]!;
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
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLEAPPROLE01',
              arn: `arn:aws:iam::${account}:role/AppServerRole`,
              accountId: account,
              userName: 'AppServerRole',
            },
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
    sourceIPAddress:
      kind < 0.4
        ? `192.0.2.${fleet + 1}`
        : kind < 0.8
          ? `192.0.2.${Math.floor(rand() * 20) + 100}`
          : 'cloudformation.amazonaws.com',
    userAgent:
      kind < 0.4
        ? 'aws-sdk-java/2.25.10 Linux/6.1.72 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy'
        : 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.72 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances',
    requestParameters: {
      filterSet: {
        items: [
          { name: 'tag:Environment', valueSet: { items: [{ value: 'production' }] } },
          { name: 'instance-state-name', valueSet: { items: [{ value: 'running' }] } },
        ],
      },
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
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${source.split('.')[0]}.${region}.amazonaws.com`,
    },
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

/** What the bench knows of a folder before it reads it: its log files, counted and sized. */
export interface CorpusCount {
  dir: string;
  /** Log files (`.json.gz` under a CloudTrail key layout), relative to `dir`, sorted. */
  keys: string[];
  gzipBytes: number;
  largestGzipBytes: number;
  /** Present for a corpus this bench generated (its manifest). */
  generated?: CorpusStats & { megabytes: number; seed: number };
}

const MANIFEST = 'corpus.json';

/**
 * Writes a deterministic corpus of about `megabytes` MB of gzip as a new folder `dir` (CloudTrail's
 * key layout; 1 to 2,000 records a file, skewed to small files as real trails are). It never
 * writes into a folder that exists: it builds the corpus beside it and renames it into place
 * when complete, with a manifest. A folder already there is reused only if it holds the manifest
 * of the same corpus; otherwise the bench refuses, so it cannot mix its records into a trail.
 */
export async function ensureCorpus(dir: string, megabytes: number, seed = 341): Promise<CorpusStats> {
  try {
    await stat(dir);
  } catch {
    return generateCorpus(dir, megabytes, seed);
  }
  const manifest = await readManifest(dir);
  if (manifest?.megabytes === megabytes && manifest.seed === seed) return manifest;
  throw new Error(
    `${dir} exists but is not the bench's ${megabytes} MB corpus (no matching ${MANIFEST}); remove it or pass --corpus to read it`,
  );
}

async function readManifest(dir: string): Promise<(CorpusStats & { megabytes: number; seed: number }) | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as CorpusStats & { megabytes: number; seed: number };
  } catch {
    return undefined;
  }
}

async function generateCorpus(dir: string, megabytes: number, seed: number): Promise<CorpusStats> {
  await mkdir(dirname(dir), { recursive: true });
  // A folder of our own, created here (mkdtemp never reuses one), renamed into place when done.
  const partial = await mkdtemp(`${dir}.partial-`);
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
    const records = Array.from({ length: count }, (_, i) =>
      syntheticRecord(rand, account, region, new Date(clock - 300_000 + i * 97)),
    );
    const json = JSON.stringify({ Records: records });
    const body = gzipSync(json);
    const key = buildLogKey({ trailPrefix: '', account }, region, stamp, hex(rand, 16));
    const path = join(partial, ...key.split('/'));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, body);
    await utimes(path, stamp, stamp);
    stats.files++;
    stats.records += count;
    stats.gzipBytes += body.byteLength;
    stats.largestJsonBytes = Math.max(stats.largestJsonBytes, Buffer.byteLength(json));
    clock += 60_000;
  }
  await writeFile(join(partial, MANIFEST), JSON.stringify({ ...stats, megabytes, seed }));
  await rename(partial, dir);
  return stats;
}

/**
 * Counts a corpus before anything reads it: every CloudTrail log file under `dir` (both key
 * layouts, any prefix before AWSLogs/; digest and Insights files left out), with sizes. Read-only.
 */
export async function countCorpus(dir: string): Promise<CorpusCount> {
  const keys: string[] = [];
  const sizes = new Map<string, number>();
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.endsWith('.json.gz')) {
        const key = relative(dir, path).split(sep).join('/');
        if (parseTrailKey(key).kind === 'log') {
          keys.push(key);
          sizes.set(key, (await stat(path)).size);
        }
      }
    }
  };
  await walk(dir);
  keys.sort();
  let gzipBytes = 0;
  let largestGzipBytes = 0;
  for (const size of sizes.values()) {
    gzipBytes += size;
    largestGzipBytes = Math.max(largestGzipBytes, size);
  }
  const generated = await readManifest(dir);
  return { dir, keys, gzipBytes, largestGzipBytes, ...(generated ? { generated } : {}) };
}

/**
 * Writes one log object of about `bytes` of JSON into `into` (a folder of the caller's own), made
 * of the records of `keys` under `dir` in order: a file near the size limit for the memory figure.
 */
export async function writeLargeObject(
  dir: string,
  keys: readonly string[],
  into: string,
  bytes: number,
): Promise<void> {
  const records: string[] = [];
  let size = 0;
  for (const key of keys) {
    for (const record of JSON.parse(gunzipSync(await readFile(join(dir, key))).toString('utf8')).Records) {
      const text = JSON.stringify(record);
      if (size + text.length + 1 > bytes) break;
      records.push(text);
      size += text.length + 1;
    }
    if (size + 4096 > bytes) break;
  }
  const folder = join(into, 'AWSLogs', '123456789012', 'CloudTrail', 'us-east-1', '2026', '10', '02');
  await mkdir(folder, { recursive: true });
  const name = '123456789012_CloudTrail_us-east-1_20261002T0000Z_large.json.gz';
  await writeFile(join(folder, name), gzipSync(`{"Records":[${records.join(',')}]}`));
}

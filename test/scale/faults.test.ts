import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES } from '../../cli/local/store.ts';
import { documentClient } from '../../functions/adapters/clients.ts';
import { DynamoFindingsStore } from '../../functions/adapters/dynamodb.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { DEFAULT_CONFIG } from '../../functions/core/config.ts';
import type { Finding } from '../../functions/core/findings.ts';
import type { FindingsStore, ObjectReader } from '../../functions/core/ports.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { MemoryTrail } from '../helpers/fakes.ts';
import { localHarness } from '../helpers/local.ts';
import { analyzeAndCorrelate } from '../helpers/correlate.ts';
import { aCall, aRecord, anIamUser, anInstanceSession } from '../helpers/records.ts';

/*
 * Faults injected into a run of the real state machine (aws-local-stepfunctions over dynalite):
 * a crashed Analyze, S3 5xx on reads, DynamoDB throttling, and two runs at once on one store.
 * Each case compares what was stored and counted with what one clean in-memory pass finds.
 */

// Small batches, so the Map runs several work items at once.
// As local audits run: the whole folder each scheduled run, no lease (one process per store).
const config = {
  ...DEFAULT_CONFIG,
  initialLookbackHours: null,
  deliverySlackHours: null,
  scheduleLeaseMinutes: 0,
  batchMaxObjects: 3,
};
const backfill = { mode: 'backfill', from: '2026-01-31T00:00:00Z', to: '2026-02-02T00:00:00Z' } as const;
const single = { trailPrefix: '', account: '123456789012' };
const org = { trailPrefix: '', orgId: 'o-a1b2c3d4e5', account: '210987654321' };
const hex = (n: number) => n.toString(16).padStart(2, '0');

/**
 * Twelve log objects over two accounts and regions, across midnight at a month's end, each with
 * stateless matches (StopLogging, DeleteLogGroup), a benign call, and an instance session used
 * from its instance and then from an outside address (a finding of the correlation stage).
 */
function aTrail(): MemoryTrail {
  const trail = new MemoryTrail();
  for (let i = 0; i < 12; i++) {
    const scope = i % 2 === 0 ? single : org;
    const region = i % 3 === 0 ? 'eu-west-1' : 'us-east-1';
    const stamp = new Date(Date.parse('2026-01-31T23:30:00Z') + i * 5 * 60_000);
    const at = (s: number) => new Date(stamp.getTime() + s * 1000).toISOString();
    const instance = `i-0a1b2c3d4e5f600${hex(i)}`;
    const session = anInstanceSession(instance, { accountId: scope.account });
    trail.putRecords(
      buildLogKey(scope, region, stamp, `obj${hex(i)}`),
      [
        aCall('cloudtrail', 'StopLogging', { name: 'main' }, { eventTime: at(1), recipientAccountId: scope.account }),
        aCall(
          'logs',
          'DeleteLogGroup',
          { logGroupName: `/app/${i}` },
          { eventTime: at(2), recipientAccountId: scope.account },
        ),
        aRecord({ eventTime: at(3), recipientAccountId: scope.account }),
        aRecord({
          userIdentity: session,
          sourceIPAddress: `192.0.2.${i + 10}`,
          eventTime: at(4),
          recipientAccountId: scope.account,
        }),
        aRecord({
          userIdentity: session,
          sourceIPAddress: `203.0.113.${i + 1}`,
          eventTime: at(5),
          eventName: 'ListBuckets',
          eventSource: 's3.amazonaws.com',
          recipientAccountId: scope.account,
        }),
      ],
      new Date(stamp.getTime() + 7 * 60_000),
    );
  }
  return trail;
}

/** What one clean, sequential in-memory pass (Analyze, then Correlate) over every object stores. */
async function oracle(trail: MemoryTrail): Promise<string[]> {
  const keys = [...trail.objects.keys()].sort();
  const { findings, batches } = await analyzeAndCorrelate(trail, keys, {
    detectors: BUILT_IN_DETECTORS,
    readConcurrency: 1,
    writeConcurrency: 1,
  });
  assert.is(batches[0]!.objects.failed, 0);
  return [...findings.items.keys()].sort();
}

/** Every item of the findings table (a Scan: the test wants them all, duplicates included if any). */
async function storedFindings(client: DynamoDBDocumentClient): Promise<Finding[]> {
  const items: Finding[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: LOCAL_TABLES.findings, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as Finding[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The AnomaliesDetected totals published, one per run, from the local metrics file. */
async function anomaliesPublished(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { name: string; value: number; dimensions?: unknown })
    .filter((d) => d.name === 'AnomaliesDetected' && d.dimensions === undefined)
    .map((d) => d.value);
}

const ids = (findings: Finding[]) => findings.map((f) => f.id).sort();

/** The standard strategy's decisions (retry throttling and transient errors, up to `maxAttempts`) with a 2 ms wait. */
function quickRetry(maxAttempts: number): NonNullable<DynamoDBClientConfig['retryStrategy']> {
  const token = (retries: number) => ({ getRetryCount: () => retries, getRetryDelay: () => 2 });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    async refreshRetryTokenForRetry(previous, error) {
      const retries = previous.getRetryCount() + 1;
      if ((error.errorType !== 'THROTTLING' && error.errorType !== 'TRANSIENT') || retries >= maxAttempts)
        throw new Error('No retry token available');
      await new Promise((resolve) => setTimeout(resolve, 2));
      return token(retries);
    },
    recordSuccess: () => undefined,
  } as NonNullable<DynamoDBClientConfig['retryStrategy']>;
}

// A promise rejected with no handler crashes a Node.js process (the local CLI) and fails a Lambda
// invocation with Runtime.UnhandledPromiseRejection: collect them, so a test fails with a message
// instead of taking the whole test file down.
const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(`${(reason as Error).name}: ${(reason as Error).message}`));
const noUnhandledRejections = () =>
  assert.equal(unhandled.splice(0), [], 'unhandled promise rejections during the run');

const faults = suite('faults through the real state machine');

faults(
  'an Analyze that crashes half-way through a work item is retried: each finding stored and counted once',
  async () => {
    const trail = aTrail();
    const expected = await oracle(trail);
    const h = await localHarness();
    unhandled.length = 0;
    try {
      // The first attempt dies right after its 5th write landed (a Lambda timeout or OOM there).
      let puts = 0;
      const result = await h.run({
        lister: trail,
        reader: trail,
        input: backfill,
        config,
        wrapPorts: (ports) => ({
          ...ports,
          findings: {
            async putIfNew(finding) {
              const outcome = await ports.findings.putIfNew(finding);
              if (++puts === 5)
                throw Object.assign(new Error('simulated crash after a write'), { name: 'Runtime.ExitError' });
              return outcome;
            },
          },
        }),
      });
      const stored = await storedFindings(h.store.client);
      assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
      assert.ok(puts > expected.length, 'the crashed work item was not retried');
      assert.equal(ids(stored), expected);
      assert.is(result.summary?.findings.new, stored.length);
      assert.is(result.summary?.findings.duplicate, 0);
      assert.equal(await anomaliesPublished(h.dir), [stored.length]);
      noUnhandledRejections();
    } finally {
      await h.close();
    }
  },
);

faults(
  'a Correlate that crashes before the put of a verdict is retried: each finding stored and counted once',
  async () => {
    // One NAT address P used by a person's access key and by three instances: the account's
    // egress, so no finding. A second object has one instance at address Q, which a person's key
    // also uses: off the instance, one finding, made by Correlate.
    const trail = new MemoryTrail();
    const account = '123456789012';
    const at = (minute: number) => `2026-01-31T23:${String(minute).padStart(2, '0')}:00Z`;
    const first = (instance: string, ip: string, minute: number): CloudTrailRecord =>
      aRecord({
        userIdentity: anInstanceSession(instance),
        sourceIPAddress: ip,
        eventTime: at(minute),
        recipientAccountId: account,
      });
    trail.putRecords(buildLogKey(single, 'us-east-1', new Date(at(5)), 'nat'), [
      aRecord({ userIdentity: anIamUser(), sourceIPAddress: '198.51.100.7', eventTime: at(1) }),
      first('i-0a1b2c3d4e5f6078a', '198.51.100.7', 2),
      first('i-0a1b2c3d4e5f6078b', '198.51.100.7', 3),
      first('i-0a1b2c3d4e5f6078c', '198.51.100.7', 4),
    ]);
    trail.putRecords(buildLogKey(single, 'us-east-1', new Date(at(10)), 'other'), [
      aRecord({
        userIdentity: anIamUser({ arn: 'arn:aws:iam::123456789012:user/bob', userName: 'bob' }),
        sourceIPAddress: '198.51.100.99',
        eventTime: at(6),
      }),
      first('i-0a1b2c3d4e5f6078d', '198.51.100.99', 7),
    ]);
    const expected = await oracle(trail);
    const h = await localHarness();
    unhandled.length = 0;
    try {
      // Correlate's first attempt dies when it comes to the off-instance finding.
      let crashed = false;
      const result = await h.run({
        lister: trail,
        reader: trail,
        input: backfill,
        config: { ...config, batchMaxObjects: 10 },
        wrapPorts: (ports) => ({
          ...ports,
          findings: {
            async putIfNew(finding) {
              if (
                !crashed &&
                finding.detector === 'ec2-instance-credentials-off-instance' &&
                finding.objectKey.includes('_other.')
              ) {
                crashed = true;
                throw Object.assign(new Error('simulated crash before a write'), { name: 'Runtime.ExitError' });
              }
              return ports.findings.putIfNew(finding);
            },
          },
        }),
      });
      const stored = await storedFindings(h.store.client);
      assert.ok(crashed);
      assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
      assert.equal(expected.filter((id) => id.startsWith('ec2-instance-credentials-off-instance#')).length, 1);
      assert.equal(ids(stored), expected);
      // Every stored finding of this run must be counted, or the alarm misses it.
      assert.is(
        result.summary?.findings.new,
        stored.length,
        `stored ${stored.length} findings (${ids(stored).join(', ')}) but counted ${result.summary?.findings.new} as new`,
      );
      assert.equal(await anomaliesPublished(h.dir), [stored.length]);
      noUnhandledRejections();
    } finally {
      await h.close();
    }
  },
);

faults('S3 5xx on a read loses no object: the object is read again, in this run or the next', async () => {
  const trail = aTrail();
  const expected = await oracle(trail);
  const h = await localHarness();
  unhandled.length = 0;
  try {
    // Every third object answers 503 SlowDown the first time it is read (after the SDK's own retries).
    const keys = [...trail.objects.keys()].sort();
    const flaky = new Set(keys.filter((_, i) => i % 3 === 0));
    const failedOnce = new Set<string>();
    const reader: ObjectReader = {
      async read(key) {
        if (flaky.has(key) && !failedOnce.has(key)) {
          failedOnce.add(key);
          throw Object.assign(new Error('Please reduce your request rate.'), {
            name: 'SlowDown',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return trail.read(key);
      },
    };
    const first = await h.run({ lister: trail, reader, input: { mode: 'scheduled' }, config });
    // The next scheduled run, with S3 healthy: whatever the first lost is lost for good if this one does not see it.
    const next = await h.run({ lister: trail, reader: trail, input: { mode: 'scheduled' }, config });
    const stored = await storedFindings(h.store.client);
    assert.is(failedOnce.size, flaky.size);
    assert.is(first.status, 'SUCCEEDED', JSON.stringify(first.error));
    assert.is(next.status, 'SUCCEEDED', JSON.stringify(next.error));
    const missing = expected.filter((id) => !ids(stored).includes(id));
    assert.equal(
      {
        failed: first.summary?.objects.failed,
        failures: first.summary?.failures.map((f) => f.reason),
        missing: missing.length,
      },
      { failed: 0, failures: [], missing: 0 },
      `transient read errors lost ${missing.length} of ${expected.length} findings; the checkpoint moved past their objects (next run analysed ${next.summary?.objects.analyzed} objects)`,
    );
    assert.equal(ids(stored), expected);
    noUnhandledRejections();
  } finally {
    await h.close();
  }
});

faults(
  'DynamoDB throttling and lost write responses are absorbed by the SDK retry: no finding lost, none counted twice',
  async () => {
    const trail = aTrail();
    const expected = await oracle(trail);
    const h = await localHarness();
    unhandled.length = 0;
    // The production client (documentClient: 8 attempts) over the harness's dynalite. Its adaptive
    // mode drops to 0.5 requests/s after a throttle at start-up and climbs back over seconds (about
    // 20 s for this run), so the test keeps the SDK's retry loop and error classification but waits
    // 2 ms between attempts; SCALE_ADAPTIVE=1 runs the production strategy.
    const client = documentClient(
      process.env.SCALE_ADAPTIVE ? h.store.clientConfig : { ...h.store.clientConfig, retryStrategy: quickRetry(8) },
    );
    try {
      const THROTTLED = 12;
      let calls = 0;
      let throttled = 0;
      let lostResponses = 0;
      // At the deserialize step, inside the SDK's retry loop: the first calls are refused as
      // throttled; two later ones are applied by the table but their responses are lost (a 500).
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'PutItemCommand') return next(args);
          const call = ++calls;
          if (call <= THROTTLED) {
            throttled++;
            throw Object.assign(new Error('Rate exceeded'), {
              name: 'ProvisionedThroughputExceededException',
              $fault: 'client',
              $metadata: { httpStatusCode: 400 },
            });
          }
          const answer = await next(args);
          if (call === THROTTLED + 3 || call === THROTTLED + 7) {
            lostResponses++;
            throw Object.assign(new Error('Internal server error'), {
              name: 'InternalServerError',
              $fault: 'server',
              $metadata: { httpStatusCode: 500 },
            });
          }
          return answer;
        },
        { step: 'deserialize', name: 'injectThrottling' },
      );
      const findings: FindingsStore = new DynamoFindingsStore(client, LOCAL_TABLES.findings);
      const started = performance.now();
      const result = await h.run({
        lister: trail,
        reader: trail,
        input: backfill,
        config,
        wrapPorts: (ports) => ({ ...ports, findings }),
      });
      const elapsed = performance.now() - started;
      const stored = await storedFindings(h.store.client);
      assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
      assert.is(throttled, THROTTLED);
      assert.is(lostResponses, 2);
      assert.equal(ids(stored), expected);
      assert.is(result.summary?.findings.new, stored.length);
      assert.is(result.summary?.findings.duplicate, 0);
      assert.equal(await anomaliesPublished(h.dir), [stored.length]);
      if (process.env.SCALE_VERBOSE)
        console.log(
          `  throttled run: ${Math.round(elapsed)} ms, ${calls} PutItem attempts for ${stored.length} findings`,
        );
      noUnhandledRejections();
    } finally {
      client.destroy();
      await h.close();
    }
  },
);

faults(
  'a scheduled run and a backfill at the same time store the findings of one run and count each once',
  async () => {
    const trail = aTrail();
    const expected = await oracle(trail);
    const h = await localHarness();
    unhandled.length = 0;
    try {
      const [scheduled, range] = await Promise.all([
        h.run({ lister: trail, reader: trail, input: { mode: 'scheduled' }, config }),
        h.run({ lister: trail, reader: trail, input: backfill, config }),
      ]);
      const stored = await storedFindings(h.store.client);
      assert.is(scheduled.status, 'SUCCEEDED', JSON.stringify(scheduled.error));
      assert.is(range.status, 'SUCCEEDED', JSON.stringify(range.error));
      assert.is(scheduled.summary?.objects.analyzed, 12);
      assert.is(range.summary?.objects.analyzed, 12);
      assert.equal(ids(stored), expected);
      assert.is(scheduled.summary!.findings.new + range.summary!.findings.new, stored.length);
      assert.is(scheduled.summary!.findings.duplicate + range.summary!.findings.duplicate, stored.length);
      const published = await anomaliesPublished(h.dir);
      assert.is(
        published.reduce((sum, n) => sum + n, 0),
        stored.length,
      );
      noUnhandledRejections();
    } finally {
      await h.close();
    }
  },
);

faults.run();

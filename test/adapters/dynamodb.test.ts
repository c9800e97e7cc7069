import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES, openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import {
  DynamoFindingsStore,
  DynamoRunStore,
  LEDGER_RETENTION_DAYS,
  queryFindings,
} from '../../functions/adapters/dynamodb.ts';
import { FindingRefusedError } from '../../functions/core/errors.ts';
import type { BatchResult } from '../../functions/core/payloads.ts';
import type { RunPlan } from '../../functions/core/ports.ts';
import { aFinding } from '../helpers/findings.ts';
import { tempDir } from '../helpers/local.ts';

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
  store: LocalStore;
}

const context = (): Context => ({ dir: '', cleanup: async () => {}, store: undefined as unknown as LocalStore });

/** Each suite gets its own dynalite in its own folder (LevelDB locks a folder to one server). */
function withStore(name: string) {
  const s = suite<Context>(name, context());
  s.before(async (ctx) => {
    Object.assign(ctx, await tempDir());
    ctx.store = await openLocalStore(ctx.dir);
  });
  s.after(async (ctx) => {
    await ctx.store?.close();
    await ctx.cleanup();
  });
  return s;
}

/** A client that counts the commands it sends, by name. */
function counting(client: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; sent: string[] } {
  const sent: string[] = [];
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'send') {
        return (command: { constructor: { name: string } }, ...rest: unknown[]) => {
          sent.push(command.constructor.name);
          return (target.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { client: proxy, sent };
}

const { findings: FINDINGS, state: STATE } = LOCAL_TABLES;

// ---------------------------------------------------------------------------------------------

const puts = withStore('DynamoFindingsStore');

puts('a finding never stored is created', async ({ store }) => {
  const finding = aFinding();
  assert.is(await new DynamoFindingsStore(store.client, FINDINGS).putIfNew(finding), 'created');
  const stored = await store.client.send(new GetCommand({ TableName: FINDINGS, Key: { id: finding.id } }));
  assert.equal(stored.Item, finding);
});

puts(
  'the same (detector, eventID) from another run is a duplicate and leaves the stored item as it was',
  async ({ store }) => {
    const findings = new DynamoFindingsStore(store.client, FINDINGS);
    const first = aFinding({ runId: 'run-1' });
    assert.is(await findings.putIfNew(first), 'created');
    assert.is(
      await findings.putIfNew({ ...first, runId: 'run-2', detectedAt: '2026-01-02T00:00:00.000Z' }),
      'duplicate',
    );
    const stored = await store.client.send(new GetCommand({ TableName: FINDINGS, Key: { id: first.id } }));
    assert.is(stored.Item?.runId, 'run-1');
    assert.is(stored.Item?.detectedAt, first.detectedAt);
  },
);

puts('the same run putting it again for the same object (a retried work item) counts as created', async ({ store }) => {
  const findings = new DynamoFindingsStore(store.client, FINDINGS);
  const finding = aFinding({ runId: 'run-retry' });
  assert.is(await findings.putIfNew(finding), 'created');
  assert.is(await findings.putIfNew(finding), 'created');
});

puts('the same run reaching the event through another object (overlapping files) is a duplicate', async ({ store }) => {
  const findings = new DynamoFindingsStore(store.client, FINDINGS);
  const finding = aFinding({ runId: 'run-overlap' });
  assert.is(await findings.putIfNew(finding), 'created');
  assert.is(await findings.putIfNew({ ...finding, objectKey: `${finding.objectKey}.copy.json.gz` }), 'duplicate');
});

puts('the same event under another detector is a finding of its own', async ({ store }) => {
  const findings = new DynamoFindingsStore(store.client, FINDINGS);
  const a = aFinding({ detector: 'deleting-logs' });
  const b = aFinding({ detector: 'cloudtrail-logging-stopped', eventID: a.eventID });
  assert.is(await findings.putIfNew(a), 'created');
  assert.is(await findings.putIfNew(b), 'created');
});

puts(
  'an item DynamoDB refuses for its content is a FindingRefusedError, not a retryable failure',
  async ({ store }) => {
    const findings = new DynamoFindingsStore(store.client, FINDINGS);
    // Over the 400 KB item limit (dynalite enforces that one; key sizes our finding builder caps).
    const error = await findings.putIfNew(aFinding({ record: 'x'.repeat(450 * 1024) })).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, FindingRefusedError);
    assert.match((error as Error).message, 'deleting-logs#');
  },
);

puts.run();

// ---------------------------------------------------------------------------------------------

const plan = (runId: string): RunPlan => ({
  runId,
  mode: 'backfill',
  startedAt: '2026-01-01T00:00:00.000Z',
  window: { start: '2017-11-28T00:00:00.000Z', end: '2017-11-29T00:00:00.000Z' },
  batches: 2,
  objects: { listed: 5, queued: 4, skipped: 1 },
  skippedByReason: { digest: 1 },
  accounts: ['123456789012'],
  regions: ['us-east-1', 'us-west-2'],
  filtered: false,
});

const result = (batch: number, overrides: Partial<BatchResult> = {}): BatchResult => ({
  batch,
  objects: { analyzed: 1, failed: 0 },
  records: 10,
  skippedRecords: 0,
  bytes: 1234,
  findings: { new: 1, duplicate: 0, suppressed: 0 },
  byDetector: { 'deleting-logs': 1 },
  suppressedByRule: {},
  failures: [],
  ...overrides,
});

/** Realistic log keys: a long shared prefix, a unique id at the end. */
const manifestKeys = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const minute = String(i % 60).padStart(2, '0');
    const id =
      ((i * 2654435761) >>> 0).toString(36).padStart(8, '0') + ((i * 40503) >>> 0).toString(36).padStart(8, '0');
    return `AWSLogs/o-exampleorg1/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T19${minute}Z_${id}.json.gz`;
  });

const runs = withStore('DynamoRunStore');

runs('a plan reads back as it was stored; an unknown run has none', async ({ store }) => {
  const store_ = new DynamoRunStore(store.client, STATE);
  await store_.putPlan(plan('run-plan'));
  assert.equal(await store_.getPlan('run-plan'), plan('run-plan'));
  assert.is(await store_.getPlan('run-unknown'), undefined);
});

runs('run items carry an expiry 30 days after now', async ({ store }) => {
  const now = new Date('2026-01-01T00:00:00Z');
  await new DynamoRunStore(store.client, STATE, () => now).putPlan(plan('run-ttl'));
  const item = await store.client.send(new GetCommand({ TableName: STATE, Key: { pk: 'RUN#run-ttl', sk: 'PLAN' } }));
  assert.is(item.Item?.expiresAt, now.getTime() / 1000 + 30 * 86_400);
});

runs('a 500-key manifest batch round-trips in order, stored gzip-small', async ({ store }) => {
  const runStore = new DynamoRunStore(store.client, STATE);
  const keys = manifestKeys(500);
  await runStore.putManifestBatch('run-manifest', 3, keys);
  assert.equal(await runStore.getManifestBatch('run-manifest', 3), keys);
  const item = await store.client.send(
    new GetCommand({ TableName: STATE, Key: { pk: 'RUN#run-manifest', sk: 'MANIFEST#000003' } }),
  );
  const stored = item.Item?.keys as Uint8Array;
  const raw = JSON.stringify(keys).length;
  assert.ok(stored.byteLength < raw / 4, `${stored.byteLength} bytes stored for ${raw} bytes of keys`);
  assert.ok(stored.byteLength < 16_000, `${stored.byteLength} bytes`);
});

runs('a manifest batch that was never stored is an error naming the run and batch', async ({ store }) => {
  try {
    await new DynamoRunStore(store.client, STATE).getManifestBatch('run-manifest', 4);
    assert.unreachable('a missing manifest batch resolved');
  } catch (error) {
    assert.match((error as Error).message, /run-manifest.*4/);
  }
});

runs('batch results list back across query pages, and a retried batch replaces its result', async ({ store }) => {
  const { client, sent } = counting(store.client);
  const runStore = new DynamoRunStore(client, STATE);
  // Results fat enough (about 8 KB each) that 150 of them exceed one 1 MB query page.
  const failures = [
    { key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/bad.json.gz', reason: 'x'.repeat(8_000) },
  ];
  await Promise.all(
    Array.from({ length: 150 }, (_, batch) =>
      runStore.putBatchResult('run-results', result(batch, { failures, objects: { analyzed: 0, failed: 1 } })),
    ),
  );
  await runStore.putBatchResult('run-results', result(7));
  await runStore.putPlan(plan('run-results'));
  await runStore.putManifestBatch('run-results', 0, ['k']);
  await runStore.putBatchResult('run-other', result(0));
  sent.length = 0;
  const listed = await runStore.listBatchResults('run-results');
  assert.ok(sent.filter((name) => name === 'QueryCommand').length >= 2, `${sent.length} queries: not paginated`);
  assert.equal(
    listed.map((r) => r.batch),
    Array.from({ length: 150 }, (_, i) => i),
  );
  assert.equal(listed[7], result(7));
  assert.is(listed[8]?.objects.failed, 1);
});

runs('a run with no results lists none', async ({ store }) => {
  assert.equal(await new DynamoRunStore(store.client, STATE).listBatchResults('run-nothing'), []);
});

runs('the schedule start is stored once by the first run, then only moves forward', async ({ store }) => {
  const runStore = new DynamoRunStore(store.client, STATE);
  assert.is(await runStore.scheduleStart(), null);
  assert.is(await runStore.scheduleStart('2017-11-28T19:00:00.000Z'), '2017-11-28T19:00:00.000Z');
  // A later first-run attempt finds the stored start, not its own.
  assert.is(await runStore.scheduleStart('2017-11-28T20:00:00.000Z'), '2017-11-28T19:00:00.000Z');
  await runStore.advanceScheduleStart('2017-11-28T19:10:00.000Z');
  // An older run finishing late does not move it back, and is not an error.
  await runStore.advanceScheduleStart('2017-11-28T19:05:00.000Z');
  await runStore.advanceScheduleStart('2017-11-28T19:10:00.000Z');
  assert.is(await runStore.scheduleStart(), '2017-11-28T19:10:00.000Z');
  await runStore.advanceScheduleStart('2017-11-28T19:15:00.000Z');
  assert.is(await runStore.scheduleStart(), '2017-11-28T19:15:00.000Z');
});

runs(
  'the ledger answers which names of a folder it holds, with one ranged query, and writes in batches of 25',
  async ({ store }) => {
    const { client, sent } = counting(store.client);
    const now = new Date('2026-01-01T00:00:00Z');
    const runStore = new DynamoRunStore(client, STATE, () => now);
    const keys = manifestKeys(600);
    const folder = keys[0]!.slice(0, keys[0]!.lastIndexOf('/') + 1);
    const names = keys.map((k) => k.slice(folder.length));
    const other = 'AWSLogs/123456789012/CloudTrail/eu-west-1/2017/11/28/';
    // Half of the folder, twice (idempotent), and one key of another folder with a name of this one.
    await runStore.markAnalyzed([...keys.slice(0, 300), ...keys.slice(0, 300)]);
    await runStore.markAnalyzed([other + names[400]]);
    assert.is(sent.filter((name) => name === 'BatchWriteCommand').length, 12 + 1);
    sent.length = 0;
    const held = await runStore.analyzedIn(folder, names);
    assert.equal([...held].sort(), names.slice(0, 300).sort());
    assert.equal([...(await runStore.analyzedIn(other, names.slice(399, 402)))], [names[400]]);
    assert.equal([...(await runStore.analyzedIn(folder, []))], []);
    assert.equal(sent, ['QueryCommand', 'QueryCommand'], 'one ranged query per folder asked');
    const item = await store.client.send(
      new GetCommand({ TableName: STATE, Key: { pk: `LEDGER#${folder}`, sk: names[0] } }),
    );
    assert.is(item.Item?.expiresAt, now.getTime() / 1000 + LEDGER_RETENTION_DAYS * 86_400);
  },
);

runs('the lease keeps a second run out until it is released or expires; a retried Plan keeps it', async ({ store }) => {
  const runStore = new DynamoRunStore(store.client, STATE);
  assert.is(await runStore.acquireLease('run-a', '2026-01-01T00:00:00Z', '2026-01-01T03:00:00Z'), null);
  assert.is(await runStore.acquireLease('run-a', '2026-01-01T00:01:00Z', '2026-01-01T03:01:00Z'), null);
  assert.is(await runStore.acquireLease('run-b', '2026-01-01T01:00:00Z', '2026-01-01T04:00:00Z'), 'run-a');
  // Only the holder releases it.
  await runStore.releaseLease('run-b');
  assert.is(await runStore.acquireLease('run-b', '2026-01-01T01:00:00Z', '2026-01-01T04:00:00Z'), 'run-a');
  await runStore.releaseLease('run-a');
  assert.is(await runStore.acquireLease('run-b', '2026-01-01T01:00:00Z', '2026-01-01T04:00:00Z'), null);
  // Expired: a run that crashed without releasing delays the schedule, never stops it.
  assert.is(await runStore.acquireLease('run-c', '2026-01-01T04:00:01Z', '2026-01-01T07:00:00Z'), null);
});

runs.run();

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------

const persistence = suite('openLocalStore');

persistence('findings, runs and the ledger survive closing and reopening the same folder', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const finding = aFinding({ runId: 'run-persist' });
    const first = await openLocalStore(dir);
    try {
      assert.is(await new DynamoFindingsStore(first.client, FINDINGS).putIfNew(finding), 'created');
      await new DynamoRunStore(first.client, STATE).markAnalyzed([
        'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/a.json.gz',
      ]);
    } finally {
      await first.close();
    }
    // Reopening finds the tables already there (no error) and the data in them.
    const second = await openLocalStore(dir);
    try {
      assert.equal(await queryFindings(second.client, FINDINGS, { runId: 'run-persist' }, []), [finding]);
      assert.is(
        await new DynamoFindingsStore(second.client, FINDINGS).putIfNew({ ...finding, runId: 'run-later' }),
        'duplicate',
      );
      assert.equal(
        [
          ...(await new DynamoRunStore(second.client, STATE).analyzedIn(
            'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/',
            ['a.json.gz', 'b.json.gz'],
          )),
        ],
        ['a.json.gz'],
      );
    } finally {
      await second.close();
    }
  } finally {
    await cleanup();
  }
});

persistence('two folders are two independent stores', async () => {
  const a = await tempDir();
  const b = await tempDir();
  const storeA = await openLocalStore(a.dir);
  const storeB = await openLocalStore(b.dir);
  try {
    assert.is.not(storeA.endpoint, storeB.endpoint);
    const finding = aFinding();
    await new DynamoFindingsStore(storeA.client, FINDINGS).putIfNew(finding);
    assert.is(await new DynamoFindingsStore(storeB.client, FINDINGS).putIfNew(finding), 'created');
  } finally {
    await storeA.close();
    await storeB.close();
    await a.cleanup();
    await b.cleanup();
  }
});

persistence.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';
import { correlateShard, type CorrelatePorts } from '../../functions/correlate/correlate.ts';
import {
  correlationFindingId,
  CORRELATION_SHARDS,
  shardOf,
  type CorrelatingDetector,
} from '../../functions/core/correlation.ts';
import { deletingLogs } from '../../functions/detectors/deleting-logs.ts';
import { MemoryFindings } from '../helpers/fakes.ts';
import { aRecord } from '../helpers/records.ts';

/** Counts calls per principal; a verdict for every principal with 3 calls or more, looking up a `limit|` key. */
function burst(judged: string[] = []): CorrelatingDetector<{ ids: string[]; limit?: number }> {
  return {
    kind: 'correlating',
    meta: { ...deletingLogs.meta, id: 'burst' },
    observe: (record) => [
      { key: `principal|${String(record.userIdentity?.arn)}`, aggregate: { ids: [String(record.eventID)] } },
    ],
    merge: (a, b) => ({
      ids: [...new Set([...a.ids, ...b.ids])].sort(),
      ...((a.limit ?? b.limit) ? { limit: Math.max(a.limit ?? 0, b.limit ?? 0) } : {}),
    }),
    judges: (key) => key.startsWith('principal|'),
    async judge(key, aggregate, lookup) {
      judged.push(key);
      const limit = (await lookup('limit|all'))?.limit ?? 3;
      if (key.includes('broken')) throw new Error('a bug in the rule');
      if (aggregate.ids.length < limit) return [];
      return [
        {
          subject: `${aggregate.ids.length >= 5 ? 'many' : 'some'}`,
          record: aRecord({ eventID: aggregate.ids[0]! }),
          objectKey: 'object-1',
          match: { reason: `${aggregate.ids.length} calls` },
        },
      ];
    },
  };
}

async function store(aggregates: MemoryAggregateStore, runId: string, batch: number, entries: [string, string[]][]) {
  await aggregates.putWorkItem(
    runId,
    batch,
    entries.map(([key, ids]) => ({ detector: 'burst', key, aggregate: { ids } })),
  );
}

const shardOfKey = (key: string) => shardOf('burst', key, CORRELATION_SHARDS);
const ports = (aggregates: MemoryAggregateStore, findings = new MemoryFindings()): CorrelatePorts => ({
  aggregates,
  findings,
  now: () => new Date('2026-12-01T00:00:00Z'),
});

const correlate = suite('correlateShard');

correlate('judges each key of its shard once, over the aggregates of every work item and earlier runs', async () => {
  const aggregates = new MemoryAggregateStore();
  const key = 'principal|alice';
  await store(aggregates, 'run-0', 0, [[key, ['e1']]]); // an earlier run, still within retention
  await store(aggregates, 'run-1', 0, [[key, ['e2']]]);
  await store(aggregates, 'run-1', 1, [[key, ['e3', 'e2']]]);
  const judged: string[] = [];
  const findings = new MemoryFindings();
  const results = [];
  for (let shard = 0; shard < CORRELATION_SHARDS; shard++)
    results.push(
      await correlateShard(
        ports(aggregates, findings),
        { detectors: [burst(judged)], concurrency: 2 },
        { runId: 'run-1', shard },
      ),
    );
  assert.equal(judged, [key]);
  const result = results[shardOfKey(key)]!;
  assert.equal(result.keys, { touched: 1, judged: 1 });
  assert.equal(result.findings, { new: 1, duplicate: 0, suppressed: 0 });
  const [finding] = [...findings.items.values()];
  assert.is(finding?.id, correlationFindingId('burst', key, 'some'));
  assert.is(finding?.eventID, 'e1');
  assert.is(finding?.runId, 'run-1');
  assert.is(finding?.reason, '3 calls');
});

correlate(
  'a retried shard stores nothing twice and counts its findings once; a later run finds them duplicate',
  async () => {
    const aggregates = new MemoryAggregateStore();
    const key = 'principal|alice';
    await store(aggregates, 'run-1', 0, [[key, ['e1', 'e2', 'e3']]]);
    const findings = new MemoryFindings();
    const item = { runId: 'run-1', shard: shardOfKey(key) };
    await correlateShard(ports(aggregates, findings), { detectors: [burst()], concurrency: 1 }, item);
    const retried = await correlateShard(ports(aggregates, findings), { detectors: [burst()], concurrency: 1 }, item);
    assert.is(retried.findings.new, 1);
    assert.equal(await aggregates.listCorrelateResults('run-1'), [retried]);
    await store(aggregates, 'run-2', 0, [[key, ['e3']]]);
    const later = await correlateShard(
      ports(aggregates, findings),
      { detectors: [burst()], concurrency: 1 },
      { runId: 'run-2', shard: item.shard },
    );
    assert.equal(later.findings, { new: 0, duplicate: 1, suppressed: 0 });
    assert.is(findings.items.size, 1);
  },
);

correlate('a verdict that changes is a new finding, and the old one stays as it was', async () => {
  const aggregates = new MemoryAggregateStore();
  const key = 'principal|alice';
  const findings = new MemoryFindings();
  await store(aggregates, 'run-1', 0, [[key, ['e1', 'e2', 'e3']]]);
  await correlateShard(
    ports(aggregates, findings),
    { detectors: [burst()], concurrency: 1 },
    { runId: 'run-1', shard: shardOfKey(key) },
  );
  const first = structuredClone([...findings.items.values()]);
  await store(aggregates, 'run-2', 0, [[key, ['e4', 'e5']]]);
  const second = await correlateShard(
    ports(aggregates, findings),
    { detectors: [burst()], concurrency: 1 },
    { runId: 'run-2', shard: shardOfKey(key) },
  );
  assert.is(second.findings.new, 1);
  assert.equal(
    [...findings.items.keys()].sort(),
    [correlationFindingId('burst', key, 'many'), correlationFindingId('burst', key, 'some')].sort(),
  );
  assert.equal(findings.items.get(first[0]!.id), first[0]);
});

correlate('a judge that throws is a counted failure of its key; the other keys are judged', async () => {
  const aggregates = new MemoryAggregateStore();
  const keys = ['principal|broken', 'principal|alice', 'principal|bob', 'principal|carol'];
  await store(
    aggregates,
    'run-1',
    0,
    keys.map((key) => [key, ['e1', 'e2', 'e3']]),
  );
  const findings = new MemoryFindings();
  let failures = 0;
  for (let shard = 0; shard < CORRELATION_SHARDS; shard++) {
    const result = await correlateShard(
      ports(aggregates, findings),
      { detectors: [burst()], concurrency: 2 },
      { runId: 'run-1', shard },
    );
    failures += result.failures.length;
    for (const failure of result.failures) assert.match(failure.reason, 'judge failed: a bug in the rule');
  }
  assert.is(failures, 1);
  assert.is(findings.items.size, 3);
});

correlate('evidence keys are read through lookup and never judged; a store error fails the invocation', async () => {
  const aggregates = new MemoryAggregateStore();
  const key = 'principal|alice';
  await aggregates.putWorkItem('run-1', 0, [
    { detector: 'burst', key, aggregate: { ids: ['e1', 'e2', 'e3'] } },
    { detector: 'burst', key: 'limit|all', aggregate: { ids: [], limit: 5 } },
  ]);
  const judged: string[] = [];
  const findings = new MemoryFindings();
  for (let shard = 0; shard < CORRELATION_SHARDS; shard++)
    await correlateShard(
      ports(aggregates, findings),
      { detectors: [burst(judged)], concurrency: 1 },
      { runId: 'run-1', shard },
    );
  assert.equal(judged, [key]);
  assert.is(findings.items.size, 0, 'the limit read through lookup raised the bar to 5 calls');
  const failing = Object.assign(Object.create(aggregates) as MemoryAggregateStore, {
    readAggregates: async (_detector: string, wanted: string) => {
      if (wanted === 'limit|all') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      return aggregates.readAggregates('burst', wanted);
    },
  });
  try {
    await correlateShard(
      ports(failing),
      { detectors: [burst()], concurrency: 1 },
      { runId: 'run-1', shard: shardOfKey(key) },
    );
    assert.unreachable('a lookup that failed must not pass for "no evidence"');
  } catch (error) {
    assert.is((error as Error).name, 'ThrottlingException');
  }
});

correlate("suppressions apply to verdicts as to Analyze's matches", async () => {
  const aggregates = new MemoryAggregateStore();
  const key = 'principal|alice';
  await store(aggregates, 'run-1', 0, [[key, ['e1', 'e2', 'e3']]]);
  const suppressor = { match: (c: { detector: string }) => (c.detector === 'burst' ? 'known-batch-job' : undefined) };
  const result = await correlateShard(
    ports(aggregates),
    { detectors: [burst()], concurrency: 1, suppressor },
    { runId: 'run-1', shard: shardOfKey(key) },
  );
  assert.equal(
    [result.findings, result.suppressedByRule],
    [{ new: 0, duplicate: 0, suppressed: 1 }, { 'known-batch-job': 1 }],
  );
});

correlate("refuses a shard outside the run's shards", async () => {
  try {
    await correlateShard(
      ports(new MemoryAggregateStore()),
      { detectors: [burst()], concurrency: 1 },
      { runId: 'run-1', shard: CORRELATION_SHARDS },
    );
    assert.unreachable();
  } catch (error) {
    assert.instance(error, RangeError);
  }
});

correlate.run();

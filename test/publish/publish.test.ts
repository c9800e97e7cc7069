import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyResult } from '../../functions/analyze/analyze.ts';
import type { RunPlan } from '../../functions/core/ports.ts';
import { publishRun } from '../../functions/publish/publish.ts';
import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';
import { MemoryFindings, MemoryMetrics, MemoryRuns } from '../helpers/fakes.ts';

function plan(overrides: Partial<RunPlan> = {}): RunPlan {
  return {
    runId: 'run-1',
    mode: 'scheduled',
    startedAt: '2026-11-30T00:00:00.000Z',
    window: { start: '2026-11-29T23:45:00.000Z', end: '2026-11-29T23:55:00.000Z' },
    batches: 2,
    objects: { listed: 5, queued: 4, skipped: 1 },
    skippedByReason: {},
    accounts: ['123456789012'],
    regions: ['us-east-1'],
    checkpointScope: 'all',
    ...overrides,
  };
}

function result(batch: number, created: Record<string, number>) {
  const r = emptyResult(batch);
  r.objects.analyzed = 2;
  r.records = 10;
  r.byDetector = created;
  r.findings.new = Object.values(created).reduce((a, b) => a + b, 0);
  return r;
}

const publish = suite('publishRun');
const options = { namespace: 'TrailAuditor', detectorIds: ['deleting-logs', 'instance-creds-used-outside-ec2'] };

publish('publishes AnomaliesDetected in total and per detector, 0 included, and moves the checkpoint', async () => {
  const runs = new MemoryRuns();
  await runs.putPlan(plan());
  await runs.putBatchResult('run-1', result(0, { 'deleting-logs': 2 }));
  await runs.putBatchResult('run-1', result(1, { 'deleting-logs': 1 }));
  const metrics = new MemoryMetrics();
  const summary = await publishRun({ runs, findings: new MemoryFindings(), metrics, now: () => new Date('2026-11-30T00:00:00Z') }, options, 'run-1');
  assert.is(summary.complete, true);
  assert.is(metrics.published.length, 1);
  assert.is(metrics.published[0]?.namespace, 'TrailAuditor');
  assert.is(metrics.last('AnomaliesDetected'), 3);
  assert.is(metrics.last('AnomaliesDetected', { Detector: 'deleting-logs' }), 3);
  assert.is(metrics.last('AnomaliesDetected', { Detector: 'instance-creds-used-outside-ec2' }), 0);
  assert.is(metrics.last('RecordsAnalyzed'), 20);
  assert.is(runs.checkpoint, '2026-11-29T23:55:00.000Z');
});

publish('adds the findings of the Correlate shards, each shard once', async () => {
  const runs = new MemoryRuns();
  await runs.putPlan(plan());
  await runs.putBatchResult('run-1', result(0, { 'deleting-logs': 2 }));
  await runs.putBatchResult('run-1', result(1, {}));
  const correlations = new MemoryAggregateStore();
  const shard = (n: number, created: number) => ({
    shard: n,
    keys: { touched: 3, judged: 2 },
    findings: { new: created, duplicate: 1, suppressed: 0 },
    byDetector: (created ? { 'ec2-instance-credentials-off-instance': created } : {}) as Record<string, number>,
    suppressedByRule: {},
    failures: [],
  });
  await correlations.putCorrelateResult('run-1', shard(4, 2));
  await correlations.putCorrelateResult('run-1', shard(4, 2)); // a retried shard overwrites its result
  await correlations.putCorrelateResult('run-1', shard(9, 1));
  await correlations.putCorrelateResult('run-2', shard(1, 5));
  const metrics = new MemoryMetrics();
  const summary = await publishRun({ runs, findings: new MemoryFindings(), correlations, metrics, now: () => new Date() }, options, 'run-1');
  assert.equal(summary.findings.byDetector, { 'deleting-logs': 2, 'ec2-instance-credentials-off-instance': 3 });
  assert.is(summary.findings.duplicate, 2);
  assert.is(metrics.last('AnomaliesDetected'), 5);
  assert.is(metrics.last('AnomaliesDetected', { Detector: 'ec2-instance-credentials-off-instance' }), 3);
});

publish('an incomplete run still publishes what it found but keeps the checkpoint', async () => {
  const runs = new MemoryRuns();
  await runs.putPlan(plan());
  await runs.putBatchResult('run-1', result(0, { 'deleting-logs': 1 }));
  const metrics = new MemoryMetrics();
  const summary = await publishRun({ runs, findings: new MemoryFindings(), metrics, now: () => new Date() }, options, 'run-1');
  assert.is(summary.complete, false);
  assert.is(metrics.last('AnomaliesDetected'), 1);
  assert.is(metrics.last('WorkItemsMissing'), 1);
  assert.is(runs.checkpoint, null);
});

publish('a backfill never moves the scheduled checkpoint', async () => {
  const runs = new MemoryRuns();
  await runs.putPlan(plan({ mode: 'backfill', batches: 0 }));
  await publishRun({ runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() }, options, 'run-1');
  assert.is(runs.checkpoint, null);
});

publish('a scheduled run narrowed by filters moves only its own checkpoint', async () => {
  const runs = new MemoryRuns();
  await runs.putPlan(plan({ batches: 0, checkpointScope: 'accounts=123456789012;regions=*' }));
  await publishRun({ runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() }, options, 'run-1');
  assert.is(runs.checkpoint, null);
  assert.is(await runs.getCheckpoint('accounts=123456789012;regions=*'), '2026-11-29T23:55:00.000Z');
});

publish('the checkpoint never moves backwards when an older run finishes last', async () => {
  const runs = new MemoryRuns();
  runs.checkpoint = '2026-11-30T00:10:00.000Z';
  await runs.putPlan(plan({ batches: 0 }));
  await publishRun({ runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() }, options, 'run-1');
  assert.is(runs.checkpoint, '2026-11-30T00:10:00.000Z');
});

publish.run();

const reconcile = suite('countStored');

reconcile('counts findings a crashed attempt stored that its retry did not put again', async () => {
  const runs = new MemoryRuns();
  await runs.putPlan(plan({ batches: 1 }));
  await runs.putBatchResult('run-1', result(0, { 'deleting-logs': 1 }));
  const findings = new MemoryFindings();
  const base = { detector: 'ec2-instance-credentials-off-instance', runId: 'run-1' } as const;
  findings.items.set('a', { ...base, id: 'a' } as never);
  findings.items.set('b', { ...base, id: 'b' } as never);
  findings.items.set('c', { detector: 'deleting-logs', runId: 'run-1', id: 'c' } as never);
  findings.items.set('d', { detector: 'deleting-logs', runId: 'run-0', id: 'd' } as never);
  const metrics = new MemoryMetrics();
  const summary = await publishRun({ runs, findings, metrics, now: () => new Date() }, options, 'run-1');
  assert.equal(summary.findings.byDetector, { 'deleting-logs': 1, 'ec2-instance-credentials-off-instance': 2 });
  assert.is(metrics.last('AnomaliesDetected'), 3);
});

reconcile.run();

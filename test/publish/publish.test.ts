import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyResult } from '../../functions/analyze/analyze.ts';
import type { RunPlan } from '../../functions/core/ports.ts';
import { publishRun, publishStep } from '../../functions/publish/publish.ts';
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
    filtered: false,
    nextStart: '2026-11-29T00:00:00.000Z',
    ...overrides,
  };
}

/** Stores the plan and a manifest of two keys per batch (`k<batch>a`, `k<batch>b`). */
async function planned(runs: MemoryRuns, overrides: Partial<RunPlan> = {}): Promise<RunPlan> {
  const p = plan(overrides);
  await runs.putPlan(p);
  for (let b = 0; b < p.batches; b++) await runs.putManifestBatch(p.runId, b, [`AWSLogs/f/k${b}a`, `AWSLogs/f/k${b}b`]);
  return p;
}

function result(batch: number, created: Record<string, number>) {
  const r = emptyResult(batch);
  r.objects.analyzed = 2;
  r.records = 10;
  r.skippedRecords = 1;
  r.failedRecords = 2;
  r.byDetector = created;
  r.findings.new = Object.values(created).reduce((a, b) => a + b, 0);
  return r;
}

const publish = suite('publishRun');
const options = { namespace: 'TrailAuditor', detectorIds: ['deleting-logs', 'instance-creds-used-outside-ec2'] };

publish(
  'publishes AnomaliesDetected in total and per detector that found something, and records the run as analysed',
  async () => {
    const runs = new MemoryRuns();
    await planned(runs);
    runs.lease = { runId: 'run-1', until: '2026-11-30T03:00:00.000Z' };
    await runs.putBatchResult('run-1', result(0, { 'deleting-logs': 2 }));
    await runs.putBatchResult('run-1', result(1, { 'deleting-logs': 1 }));
    const metrics = new MemoryMetrics();
    const summary = await publishRun(
      { runs, findings: new MemoryFindings(), metrics, now: () => new Date('2026-11-30T00:00:00Z') },
      options,
      'run-1',
    );
    assert.is(summary.complete, true);
    assert.is(metrics.published.length, 1);
    assert.is(metrics.published[0]?.namespace, 'TrailAuditor');
    assert.is(metrics.last('AnomaliesDetected'), 3);
    assert.is(metrics.last('AnomaliesDetected', { Detector: 'deleting-logs' }), 3);
    // A quiet detector sends nothing: CloudWatch bills a custom metric for each hour it receives data.
    assert.is(metrics.last('AnomaliesDetected', { Detector: 'instance-creds-used-outside-ec2' }), undefined);
    assert.is(metrics.last('RecordsAnalyzed'), 20);
    assert.equal([...runs.ledger].sort(), ['AWSLogs/f/k0a', 'AWSLogs/f/k0b', 'AWSLogs/f/k1a', 'AWSLogs/f/k1b']);
    assert.is(runs.start, '2026-11-29T00:00:00.000Z');
    assert.is(runs.lease?.until, '', 'the lease is given up');
    // Non-object entries and records whose finding was refused are counted in the summary and metrics.
    assert.is(summary.skippedRecords, 2);
    assert.is(summary.failedRecords, 4);
    assert.is(metrics.last('RecordsSkipped'), 2);
    assert.is(metrics.last('RecordsFailed'), 4);
  },
);

publish('perDetectorMetrics false: only the total and the run-health metrics, even with findings', async () => {
  const runs = new MemoryRuns();
  await planned(runs);
  await runs.putBatchResult('run-1', result(0, { 'deleting-logs': 2 }));
  await runs.putBatchResult('run-1', result(1, {}));
  const metrics = new MemoryMetrics();
  await publishRun(
    { runs, findings: new MemoryFindings(), metrics, now: () => new Date('2026-11-30T00:00:00Z') },
    { ...options, perDetectorMetrics: false },
    'run-1',
  );
  const data = metrics.published.flatMap((call) => call.data);
  assert.is(metrics.last('AnomaliesDetected'), 2);
  assert.equal(
    data.filter((datum) => datum.dimensions !== undefined),
    [],
  );
  assert.ok(data.some((datum) => datum.name === 'RecordsAnalyzed'));
});

publish('adds the findings of the Correlate shards, each shard once', async () => {
  const runs = new MemoryRuns();
  await planned(runs);
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
  const summary = await publishRun(
    { runs, findings: new MemoryFindings(), correlations, metrics, now: () => new Date() },
    options,
    'run-1',
  );
  assert.equal(summary.findings.byDetector, { 'deleting-logs': 2, 'ec2-instance-credentials-off-instance': 3 });
  assert.is(summary.findings.duplicate, 2);
  assert.is(metrics.last('AnomaliesDetected'), 5);
  assert.is(metrics.last('AnomaliesDetected', { Detector: 'ec2-instance-credentials-off-instance' }), 3);
});

publish('an incomplete run publishes what it found and ledgers the batches that reported, not the others', async () => {
  const runs = new MemoryRuns();
  await planned(runs);
  const bad = result(0, { 'deleting-logs': 1 });
  bad.objects.failed = 1;
  bad.failures = [{ key: 'AWSLogs/f/k0b', reason: 'not gzip' }];
  await runs.putBatchResult('run-1', bad);
  const metrics = new MemoryMetrics();
  const summary = await publishRun(
    { runs, findings: new MemoryFindings(), metrics, now: () => new Date() },
    options,
    'run-1',
  );
  assert.is(summary.complete, false);
  assert.is(metrics.last('AnomaliesDetected'), 1);
  assert.is(metrics.last('WorkItemsMissing'), 1);
  // The poison object is in the ledger with its batch: reported once, never taken again.
  assert.equal([...runs.ledger].sort(), ['AWSLogs/f/k0a', 'AWSLogs/f/k0b']);
  assert.is(runs.start, null, 'the schedule start stays where it was');
});

publish('a run whose correlation did not complete is incomplete and ledgers nothing', async () => {
  const runs = new MemoryRuns();
  await planned(runs);
  await runs.putBatchResult('run-1', result(0, {}));
  await runs.putBatchResult('run-1', result(1, {}));
  const summary = await publishRun(
    { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() },
    options,
    'run-1',
    false,
  );
  assert.is(summary.complete, false);
  assert.equal([...runs.ledger], []);
  assert.is(runs.start, null);
});

publish('publishStep reads correlated from the event and defaults it to true', async () => {
  for (const [event, ledgered] of [
    [{ runId: 'run-1' }, 4],
    [{ runId: 'run-1', correlated: true }, 4],
    [{ runId: 'run-1', correlated: false }, 0],
  ] as const) {
    const runs = new MemoryRuns();
    await planned(runs);
    await runs.putBatchResult('run-1', result(0, {}));
    await runs.putBatchResult('run-1', result(1, {}));
    const summary = await publishStep(
      { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() },
      options,
    )(event);
    assert.is(runs.ledger.size, ledgered, JSON.stringify(event));
    assert.is(summary.complete, ledgered > 0);
  }
});

publish(
  'a Publish that fails writing the ledger keeps the lease for its retry, which then records and releases',
  async () => {
    const runs = new MemoryRuns();
    await planned(runs);
    runs.lease = { runId: 'run-1', until: '2026-11-30T03:00:00.000Z' };
    await runs.putBatchResult('run-1', result(0, {}));
    await runs.putBatchResult('run-1', result(1, {}));
    const markAnalyzed = runs.markAnalyzed.bind(runs);
    let calls = 0;
    runs.markAnalyzed = async (keys) => {
      if (++calls === 1) throw new Error('throttled');
      return markAnalyzed(keys);
    };
    const ports = { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() };
    await publishRun(ports, options, 'run-1').then(
      () => assert.unreachable(),
      (error: Error) => assert.is(error.message, 'throttled'),
    );
    assert.equal(runs.lease, { runId: 'run-1', until: '2026-11-30T03:00:00.000Z' });
    assert.is(ports.metrics.published.length, 0, 'no metrics before the ledger is written');
    assert.is(runs.start, null);
    const summary = await publishRun(ports, options, 'run-1');
    assert.is(summary.complete, true);
    assert.is(runs.ledger.size, 4);
    assert.is(runs.lease?.until, '');
    assert.is(ports.metrics.published.length, 1);
  },
);

publish('a backfill touches neither the ledger nor the schedule start', async () => {
  const runs = new MemoryRuns();
  await planned(runs, { mode: 'backfill', batches: 1 });
  await runs.putBatchResult('run-1', result(0, {}));
  await publishRun(
    { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() },
    options,
    'run-1',
  );
  assert.equal([...runs.ledger], []);
  assert.is(runs.start, null);
});

publish('a scheduled run narrowed by filters feeds the ledger but never moves the schedule start', async () => {
  const runs = new MemoryRuns();
  await planned(runs, { batches: 1, filtered: true });
  await runs.putBatchResult('run-1', result(0, {}));
  await publishRun(
    { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() },
    options,
    'run-1',
  );
  assert.is(runs.ledger.size, 2);
  assert.is(runs.start, null);
});

publish('the schedule start never moves backwards when an older run finishes last', async () => {
  const runs = new MemoryRuns();
  runs.start = '2026-11-29T00:10:00.000Z';
  await planned(runs, { batches: 0 });
  await publishRun(
    { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() },
    options,
    'run-1',
  );
  assert.is(runs.start, '2026-11-29T00:10:00.000Z');
});

publish("a run deferred to the lease holder neither ledgers nor releases the holder's lease", async () => {
  const runs = new MemoryRuns();
  runs.lease = { runId: 'run-0', until: '2026-11-30T03:00:00.000Z' };
  await planned(runs, { batches: 0, deferredTo: 'run-0' });
  const summary = await publishRun(
    { runs, findings: new MemoryFindings(), metrics: new MemoryMetrics(), now: () => new Date() },
    options,
    'run-1',
  );
  assert.is(summary.complete, true);
  assert.equal(runs.lease, { runId: 'run-0', until: '2026-11-30T03:00:00.000Z' });
  assert.is(runs.start, null);
});

publish.run();

const reconcile = suite('countStored');

reconcile('counts findings a crashed attempt stored that its retry did not put again', async () => {
  const runs = new MemoryRuns();
  await planned(runs, { batches: 1 });
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

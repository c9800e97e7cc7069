import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeObjects, analyzeWorkItem, type AnalyzePorts } from '../../functions/analyze/analyze.ts';
import { FindingRefusedError } from '../../functions/core/errors.ts';
import type { Finding } from '../../functions/core/findings.ts';
import { deletingLogs } from '../../functions/detectors/deleting-logs.ts';
import { instanceCredsUsedOutsideEc2 } from '../../functions/detectors/instance-creds-used-outside-ec2.ts';
import type { CorrelatingDetector, Detector } from '../../functions/detectors/types.ts';
import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';
import { MemoryFindings, MemoryRuns, MemoryTrail } from '../helpers/fakes.ts';
import { aRecord, anInstanceSession } from '../helpers/records.ts';

const K = (name: string) =>
  `AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1905Z_${name}.json.gz`;
const stop = () => aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' });
const options = (detectors: Detector[] = [deletingLogs, instanceCredsUsedOutsideEc2]) => ({
  detectors,
  readConcurrency: 3,
  writeConcurrency: 4,
});

function ports(
  trail: MemoryTrail,
  findings = new MemoryFindings(),
  runs = new MemoryRuns(),
  aggregates = new MemoryAggregateStore(),
): AnalyzePorts {
  return { runs, reader: trail, findings, aggregates, now: () => new Date('2026-11-30T00:00:00Z') };
}

const analyze = suite('analyzeObjects');

analyze('runs every detector on every record and stores each match once', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [
    stop(),
    aRecord({ userIdentity: anInstanceSession(), eventSource: 'logs.amazonaws.com', eventName: 'DeleteLogGroup' }),
  ]);
  const findings = new MemoryFindings();
  const result = await analyzeObjects(ports(trail, findings), options(), 'run-1', 0, [K('a')]);
  assert.is(result.records, 2);
  assert.equal(result.findings, { new: 3, duplicate: 0, suppressed: 0 });
  assert.equal(result.byDetector, { 'deleting-logs': 2, 'instance-creds-used-outside-ec2': 1 });
  assert.equal(
    [...findings.items.values()].map((f) => f.objectKey),
    [K('a'), K('a'), K('a')],
  );
});

analyze('reports every bad object by key and reason and still analyses the rest', async () => {
  const good = gzipSync(JSON.stringify({ Records: [stop()] }));
  const trail = new MemoryTrail()
    .put(K('empty'), new Uint8Array(0))
    .put(K('truncated'), good.subarray(0, good.length - 10))
    .put(K('notgzip'), 'hello')
    .put(K('badjson'), gzipSync('{"Records": [}'))
    .put(K('norecords'), gzipSync('{"foo": 1}'))
    .putRecords(K('odd'), [{ eventName: 'StopLogging' }, aRecord({ userIdentity: undefined, eventSource: undefined })])
    .putRecords(K('good'), [stop()]);
  const keys = [...trail.objects.keys(), K('missing')];
  const result = await analyzeObjects(ports(trail), options(), 'run-1', 0, keys);
  assert.equal(result.objects, { analyzed: 2, failed: 6 });
  assert.equal(
    result.failures.map((f) => [f.key.replace(/^.*1905Z_|\.json\.gz$/g, ''), f.reason.split(' (')[0]]),
    [
      ['badjson', 'invalid JSON'],
      ['empty', 'empty object'],
      ['missing', 'could not read the object'],
      ['norecords', 'JSON has no "Records" array'],
      ['notgzip', 'not gzip and not JSON'],
      ['truncated', 'gzip data is truncated or corrupt'],
    ],
  );
  assert.is(result.findings.new, 1);
});

analyze('an object whose JSON breaks off part-way is reported, and the findings before the break stand', async () => {
  // Large enough to be parsed in slices (functions/core/log-slices.ts); cut after three quarters.
  const records = Array.from({ length: 400 }, (_, i) =>
    i === 10 ? stop() : aRecord({ eventID: `e-${i}`, userAgent: `agent-${'x'.repeat(i % 80)}` }),
  );
  const json = JSON.stringify({ Records: records });
  const trail = new MemoryTrail()
    .put(K('cut'), gzipSync(`${json.slice(0, Math.floor(json.length * 0.75))}"]}`))
    .putRecords(K('good'), [stop()]);
  const findings = new MemoryFindings();
  const result = await analyzeObjects(ports(trail, findings), options(), 'run-1', 0, [K('cut'), K('good')]);
  assert.equal(result.objects, { analyzed: 1, failed: 1 });
  assert.is(result.failures[0]?.key, K('cut'));
  assert.match(result.failures[0]!.reason, /^invalid JSON in the records from byte \d+ on/);
  // The StopLogging at record 10 was read before the break: its finding is stored.
  assert.is(result.findings.new, 2);
  assert.ok(result.records > 200 && result.records < 400, `${result.records} records analysed`);
});

analyze('a transient read error fails the work item instead of losing the object', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const flaky = {
    read: async () => {
      throw Object.assign(new Error('We encountered an internal error'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
    },
  };
  try {
    await analyzeObjects({ ...ports(trail), reader: flaky }, options(), 'run-1', 0, [K('a')]);
    assert.unreachable('expected the work item to fail');
  } catch (error) {
    assert.is((error as Error).name, 'InternalError');
  }
});

analyze('sets an expiry on findings when a retention is configured', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const findings = new MemoryFindings();
  await analyzeObjects(ports(trail, findings), { ...options([deletingLogs]), findingsTtlDays: 365 }, 'run-1', 0, [
    K('a'),
  ]);
  const [finding] = [...findings.items.values()];
  assert.is(finding?.expiresAt, Date.parse('2026-11-30T00:00:00Z') / 1000 + 365 * 86_400);
});

analyze('counts a finding that another run stored as a duplicate, not as new', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const findings = new MemoryFindings();
  await analyzeObjects(ports(trail, findings), options(), 'run-1', 0, [K('a')]);
  const again = await analyzeObjects(ports(trail, findings), options(), 'run-2', 0, [K('a')]);
  assert.equal(again.findings, { new: 0, duplicate: 1, suppressed: 0 });
  assert.equal(again.byDetector, {});
});

analyze('a retried work item of the same run counts its findings once, as new', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const findings = new MemoryFindings();
  const first = await analyzeObjects(ports(trail, findings), options(), 'run-1', 0, [K('a')]);
  const retry = await analyzeObjects(ports(trail, findings), options(), 'run-1', 0, [K('a')]);
  assert.equal(retry.findings, first.findings);
  assert.is(findings.items.size, 1);
});

analyze('the same event delivered in two objects is one finding, counted once', async () => {
  const record = stop();
  const trail = new MemoryTrail().putRecords(K('a'), [record]).putRecords(K('b'), [record]);
  const result = await analyzeObjects(ports(trail), { ...options(), readConcurrency: 1 }, 'run-1', 0, [K('a'), K('b')]);
  assert.equal(result.findings, { new: 1, duplicate: 1, suppressed: 0 });
});

analyze('silences suppressed matches, counting them by rule', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop(), stop()]);
  const findings = new MemoryFindings();
  const suppressor = {
    match: (c: { detector: string }) => (c.detector === 'deleting-logs' ? 'ci-teardown' : undefined),
  };
  const result = await analyzeObjects(ports(trail, findings), { ...options(), suppressor }, 'run-1', 0, [K('a')]);
  assert.equal(result.findings, { new: 0, duplicate: 0, suppressed: 2 });
  assert.equal(result.suppressedByRule, { 'ci-teardown': 2 });
  assert.is(findings.items.size, 0);
});

/** A correlating detector that counts calls per principal: the smallest aggregate there is. */
const counter: CorrelatingDetector<string[]> = {
  kind: 'correlating',
  meta: { ...deletingLogs.meta, id: 'counter' },
  observe: (record) => [{ key: `principal|${String(record.userIdentity?.arn)}`, aggregate: [String(record.eventID)] }],
  merge: (a, b) => [...new Set([...a, ...b])].sort(),
  judge: () => [],
};

analyze('writes one aggregate per correlation key per work item, joined over all its objects', async () => {
  const alice = aRecord({ eventID: 'e1' });
  const trail = new MemoryTrail()
    .putRecords(K('a'), [alice, aRecord({ eventID: 'e2', userIdentity: anInstanceSession() })])
    .putRecords(K('b'), [aRecord({ eventID: 'e3' }), aRecord({ eventID: 'e4' })]);
  const aggregates = new MemoryAggregateStore();
  const result = await analyzeObjects(
    ports(trail, new MemoryFindings(), new MemoryRuns(), aggregates),
    options([counter]),
    'run-1',
    0,
    [K('a'), K('b')],
  );
  const stored = [...aggregates.aggregates.entries()].map(([id, items]) => [
    id.split('\u0000')[1],
    [...items.values()],
  ]);
  assert.equal(stored.sort(), [
    [`principal|${String(alice.userIdentity?.arn)}`, [['e1', 'e3', 'e4']]],
    [`principal|${String(anInstanceSession().arn)}`, [['e2']]],
  ]);
  // Two aggregates and one touched-key list: three writes for four records.
  assert.is(result.stateWrites, 3);
  assert.is(aggregates.writes, 3);
});

analyze('a retried work item overwrites its own aggregates instead of adding to them', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [aRecord({ eventID: 'e1' })]);
  const aggregates = new MemoryAggregateStore();
  const p = ports(trail, new MemoryFindings(), new MemoryRuns(), aggregates);
  await analyzeObjects(p, options([counter]), 'run-1', 7, [K('a')]);
  await analyzeObjects(p, options([counter]), 'run-1', 7, [K('a')]);
  assert.equal(
    [...aggregates.aggregates.values()].map((items) => items.size),
    [1],
  );
});

analyze('a detector that throws despite the contract does not sink the object', async () => {
  const broken: Detector = {
    kind: 'stateless',
    meta: { ...deletingLogs.meta, id: 'broken' },
    detect: () => {
      throw new Error('bug');
    },
  };
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const result = await analyzeObjects(ports(trail), options([broken, deletingLogs]), 'run-1', 0, [K('a')]);
  assert.equal(result.byDetector, { 'deleting-logs': 1 });
});

analyze(
  'the same eventID twice in one object is one finding, counted once, also when the work item is retried',
  async () => {
    const repeated = stop();
    const trail = new MemoryTrail().putRecords(K('a'), [repeated, stop(), { ...repeated }, stop()]);
    const findings = new MemoryFindings();
    const first = await analyzeObjects(ports(trail, findings), options([deletingLogs]), 'run-1', 0, [K('a')]);
    assert.equal(first.findings, { new: 3, duplicate: 1, suppressed: 0 });
    assert.is(findings.items.size, 3);
    const retry = await analyzeObjects(ports(trail, findings), options([deletingLogs]), 'run-1', 0, [K('a')]);
    assert.equal(retry.findings, { new: 3, duplicate: 1, suppressed: 0 });
  },
);

analyze('a finding the store refuses for its content is one counted record failure with the object key', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop(), stop(), stop()]);
  const findings = new MemoryFindings();
  let puts = 0;
  const refusing = {
    putIfNew: async (finding: Finding) => {
      if (++puts === 2) throw new FindingRefusedError(`${finding.id}: Item size has exceeded the maximum allowed size`);
      return findings.putIfNew(finding);
    },
  };
  const result = await analyzeObjects(
    { ...ports(trail), findings: refusing },
    { ...options([deletingLogs]), writeConcurrency: 1 },
    'run-1',
    0,
    [K('a')],
  );
  assert.equal(result.objects, { analyzed: 1, failed: 0 });
  assert.equal(result.findings, { new: 2, duplicate: 0, suppressed: 0 });
  assert.is(result.failedRecords, 1);
  assert.is(result.failures[0]?.key, K('a'));
  assert.match(result.failures[0]!.reason, 'refused by the findings table');
});

analyze('a throttled put still fails the work item (transient: the Map retries it)', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const throttled = {
    putIfNew: async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    },
  };
  const error = await analyzeObjects({ ...ports(trail), findings: throttled }, options([deletingLogs]), 'run-1', 0, [
    K('a'),
  ]).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.is((error as Error).name, 'ProvisionedThroughputExceededException');
});

analyze('a record whose fields are deeply nested arrays is judged and suppressed without recursing', async () => {
  const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`;
  const hostile = `${JSON.stringify(stop()).slice(0, -1)},"sourceIPAddress":${deep},"userAgent":${deep},"eventID":${deep}}`;
  const trail = new MemoryTrail().put(K('a'), gzipSync(`{"Records":[${JSON.stringify(stop())},${deep},${hostile}]}`));
  const findings = new MemoryFindings();
  const suppressor = { match: () => undefined };
  const result = await analyzeObjects(ports(trail, findings), { ...options([deletingLogs]), suppressor }, 'run-1', 0, [
    K('a'),
  ]);
  assert.equal(result.objects, { analyzed: 1, failed: 0 });
  assert.is(result.skippedRecords, 1);
  assert.is(result.findings.new, 2);
  assert.ok([...findings.items.values()].some((f) => f.recordTruncated && f.record.includes('nested too deep')));
});

analyze('decodes at most one large object at a time, and the ordinary objects beside it', async () => {
  // Three objects over the ordinary 8 MB limit (gzip, 10 MB of JSON each) and three small ones.
  const padding = 'p'.repeat(10 * 1024 * 1024);
  const big = (name: string) =>
    gzipSync(JSON.stringify({ Records: [{ ...stop(), eventID: name, requestParameters: { padding } }] }));
  const trail = new MemoryTrail();
  for (const name of ['big1', 'big2', 'big3']) trail.put(K(name), big(name));
  for (const name of ['s1', 's2', 's3']) trail.putRecords(K(name), [stop()]);
  // A large object is held from its large read until its finding is stored (its analysis ends).
  let held = 0;
  let overlapped = false;
  const reader = {
    read: async (key: string, options?: { maxBytes?: number }) => {
      if ((options?.maxBytes ?? 0) > 8 * 1024 * 1024) {
        if (held > 0) overlapped = true;
        held++;
      }
      return trail.read(key);
    },
  };
  const memory = new MemoryFindings();
  const findings = {
    putIfNew: async (finding: Finding) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (finding.eventID.startsWith('big')) held--;
      return memory.putIfNew(finding);
    },
  };
  const result = await analyzeObjects(
    { ...ports(trail), reader, findings },
    { ...options([deletingLogs]), readConcurrency: 6 },
    'run-1',
    0,
    [...trail.objects.keys()],
  );
  assert.equal(result.objects, { analyzed: 6, failed: 0 });
  assert.is(result.findings.new, 6);
  assert.is(overlapped, false);
});

analyze.run();

const workItem = suite('analyzeWorkItem');

workItem('reads its batch from the manifest and stores the batch result', async () => {
  const trail = new MemoryTrail().putRecords(K('a'), [stop()]);
  const runs = new MemoryRuns();
  await runs.putManifestBatch('run-1', 3, [K('a')]);
  await analyzeWorkItem(ports(trail, new MemoryFindings(), runs), options(), { runId: 'run-1', batch: 3 });
  const [result] = await runs.listBatchResults('run-1');
  assert.is(result?.batch, 3);
  assert.is(result?.findings.new, 1);
});

workItem.run();

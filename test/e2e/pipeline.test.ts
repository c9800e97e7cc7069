import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLE, writeSampleTrail } from '../../cli/demo/sample-trail.ts';
import { LOCAL_TABLES } from '../../cli/local/store.ts';
import { queryFindings } from '../../functions/adapters/dynamodb.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { MemoryTrail } from '../helpers/fakes.ts';
import { localHarness } from '../helpers/local.ts';
import { aRecord } from '../helpers/records.ts';

const backfill = { mode: 'backfill', from: SAMPLE.from, to: SAMPLE.to };
const ids = BUILT_IN_DETECTORS.map((d) => d.meta.id);

async function metricValues(dir: string, name: string, dimensions?: Record<string, string>): Promise<number[]> {
  const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((d) => d.name === name && JSON.stringify(d.dimensions ?? {}) === JSON.stringify(dimensions ?? {}))
    .map((d) => d.value);
}

const demo = suite('the workshop scenario through the real state machine');

demo('finds the attack, stores each finding once and raises the alarm', async () => {
  const h = await localHarness();
  try {
    await writeSampleTrail(join(h.dir, 'trail'));
    const trail = new FolderTrail(join(h.dir, 'trail'));
    const result = await h.run({ lister: trail, reader: trail, input: backfill });
    assert.is(result.status, 'SUCCEEDED');
    assert.is(result.summary?.objects.analyzed, 4);
    assert.is(result.summary?.objects.failed, 0);
    const found = await queryFindings(h.store.client, LOCAL_TABLES.findings, { limit: 1000 }, ids);
    const names = (detector: string) =>
      found
        .filter((f) => f.detector === detector)
        .map((f) => f.eventName)
        .sort();
    assert.equal(names('deleting-logs'), ['DeleteLogGroup', 'DeleteTrail', 'StopLogging']);
    // The workshop's rule matches the stolen use and, its known weakness, the instance's own calls.
    assert.ok(names('instance-creds-used-outside-ec2').includes('GetBucketPolicy'));
    assert.ok(names('instance-creds-used-outside-ec2').includes('UpdateInstanceInformation'));
    assert.not.ok(
      found.some(
        (f) =>
          ['CreateLogGroup', 'DescribeTrails', 'DeleteBucket'].includes(f.eventName) && f.detector === 'deleting-logs',
      ),
    );
    assert.is(result.summary?.findings.new, found.length);
    assert.is(result.alarms[0]?.state, 'ALARM');
    assert.equal(await metricValues(h.dir, 'AnomaliesDetected'), [found.length]);
  } finally {
    await h.close();
  }
});

demo('the same backfill run twice creates no new finding and publishes AnomaliesDetected 0', async () => {
  const h = await localHarness();
  try {
    await writeSampleTrail(join(h.dir, 'trail'));
    const trail = new FolderTrail(join(h.dir, 'trail'));
    const first = await h.run({ lister: trail, reader: trail, input: backfill });
    const second = await h.run({ lister: trail, reader: trail, input: backfill });
    assert.is(second.status, 'SUCCEEDED');
    assert.is(second.summary?.findings.new, 0);
    assert.is(second.summary?.findings.duplicate, first.summary?.findings.new);
    assert.equal(await metricValues(h.dir, 'AnomaliesDetected'), [first.summary!.findings.new, 0]);
    // The total is sent every run; a detector's count only by a run where it found something.
    assert.equal(await metricValues(h.dir, 'AnomaliesDetected', { Detector: 'deleting-logs' }), [3]);
  } finally {
    await h.close();
  }
});

demo('two overlapping ranges never store or count a finding twice', async () => {
  const h = await localHarness();
  try {
    await writeSampleTrail(join(h.dir, 'trail'));
    const trail = new FolderTrail(join(h.dir, 'trail'));
    const a = await h.run({
      lister: trail,
      reader: trail,
      input: { mode: 'backfill', from: '2017-11-28T19:00:00Z', to: '2017-11-28T19:08:00Z' },
    });
    const b = await h.run({
      lister: trail,
      reader: trail,
      input: { mode: 'backfill', from: '2017-11-28T19:04:00Z', to: '2017-11-28T20:00:00Z' },
    });
    const found = await queryFindings(h.store.client, LOCAL_TABLES.findings, { limit: 1000 }, ids);
    assert.is(a.summary!.findings.new + b.summary!.findings.new, found.length);
    assert.ok(b.summary!.findings.duplicate > 0);
  } finally {
    await h.close();
  }
});

demo.run();

const bad = suite('bad input through the real state machine');

bad('reports every kind of bad object by key and reason and analyses the rest of the work item', async () => {
  const h = await localHarness();
  try {
    const prefix =
      'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1905Z_';
    const good = gzipSync(
      JSON.stringify({ Records: [aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' })] }),
    );
    const trail = new MemoryTrail()
      .put(`${prefix}truncated.json.gz`, good.subarray(0, good.length - 8))
      .put(`${prefix}notgzip.json.gz`, 'plain text, not a log')
      .put(`${prefix}badjson.json.gz`, gzipSync('{"Records": [{"eventName": '))
      .put(`${prefix}norecords.json.gz`, gzipSync('{"logs": []}'))
      .put(`${prefix}empty.json.gz`, new Uint8Array(0))
      .putRecords(`${prefix}oddrecords.json.gz`, [
        { eventName: 'DeleteTrail', eventSource: 'cloudtrail.amazonaws.com' },
        aRecord({ userIdentity: undefined }),
      ])
      .put(`${prefix}good.json.gz`, good)
      .put('AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/notes.txt', 'x');
    const result = await h.run({
      lister: trail,
      reader: trail,
      input: { mode: 'backfill', from: '2017-11-28', to: '2017-11-28' },
    });
    assert.is(result.status, 'SUCCEEDED');
    assert.equal(result.summary?.objects, { listed: 8, analyzed: 2, skipped: 1, failed: 5 });
    assert.equal(
      result.summary?.failures.map((f) => f.key.replace(prefix, '')),
      ['badjson.json.gz', 'empty.json.gz', 'norecords.json.gz', 'notgzip.json.gz', 'truncated.json.gz'],
    );
    // The odd record without userIdentity or eventID is still judged: DeleteTrail is found.
    assert.ok(result.summary!.findings.byDetector['deleting-logs']! >= 2);
  } finally {
    await h.close();
  }
});

bad('an invalid input fails fast with a message that says what is wrong', async () => {
  const h = await localHarness();
  try {
    const trail = new MemoryTrail();
    const result = await h.run({
      lister: trail,
      reader: trail,
      input: { mode: 'backfill', from: '2017-11-29', to: '2017-11-28' },
    });
    assert.is(result.status, 'FAILED');
    assert.match(JSON.stringify(result.error), 'must be before');
    assert.is(trail.listings.length, 0);
  } finally {
    await h.close();
  }
});

bad.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES } from '../../cli/local/store.ts';
import { queryFindings } from '../../functions/adapters/dynamodb.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { MemoryTrail } from '../helpers/fakes.ts';
import { localHarness } from '../helpers/local.ts';
import { aRecord, anInstanceSession } from '../helpers/records.ts';

const DETECTOR = 'ec2-instance-credentials-off-instance';
const scope = { trailPrefix: '', account: '123456789012' };
const call = (ip: string, eventTime: string, overrides: Partial<CloudTrailRecord> = {}) =>
  aRecord({ userIdentity: anInstanceSession(), sourceIPAddress: ip, eventTime, ...overrides });
const put = (trail: MemoryTrail, stamp: string, id: string, records: CloudTrailRecord[]) =>
  trail.putRecords(buildLogKey(scope, 'us-east-1', new Date(stamp), id), records, new Date(Date.parse(stamp) + 60_000));
const backfill = (from: string, to: string) => ({ mode: 'backfill', from, to });

const test = suite('correlation through the real state machine');

test("a late file re-opens an instance judged in an earlier run: the verdict uses both runs' evidence", async () => {
  const h = await localHarness();
  try {
    const trail = new MemoryTrail();
    put(trail, '2026-11-30T10:05:00Z', 'home', [
      call('192.0.2.10', '2026-11-30T10:01:00Z'),
      call('192.0.2.10', '2026-11-30T10:04:00Z'),
    ]);
    const first = await h.run({
      lister: trail,
      reader: trail,
      input: backfill('2026-11-30T10:00:00Z', '2026-11-30T11:00:00Z'),
    });
    assert.is(first.status, 'SUCCEEDED', JSON.stringify(first.error));
    assert.is(first.summary?.findings.byDetector[DETECTOR] ?? 0, 0);
    // A file delivered hours late: the same session used from another address. This run reads
    // only the late file; the home address is known from the first run's aggregate.
    put(trail, '2026-11-30T14:05:00Z', 'late', [
      call('203.0.113.66', '2026-11-30T10:03:00Z', { userAgent: 'aws-cli/2.15.0' }),
    ]);
    const second = await h.run({
      lister: trail,
      reader: trail,
      input: backfill('2026-11-30T14:00:00Z', '2026-11-30T15:00:00Z'),
    });
    assert.is(second.status, 'SUCCEEDED', JSON.stringify(second.error));
    assert.is(second.summary?.objects.analyzed, 1);
    assert.is(second.summary?.findings.byDetector[DETECTOR], 1);
    const [finding] = await queryFindings(h.store.client, LOCAL_TABLES.findings, { detector: DETECTOR, limit: 10 }, []);
    assert.is(finding?.sourceIPAddress, '203.0.113.66');
    assert.match(finding?.reason ?? '', 'not from 192.0.2.10');
    assert.match(finding?.objectKey ?? '', /_late\.json\.gz$/);
    assert.is(finding?.runId, second.runId);
    // Judging again (a third run over everything) stores nothing new and counts nothing.
    const third = await h.run({
      lister: trail,
      reader: trail,
      input: backfill('2026-11-30T00:00:00Z', '2026-12-01T00:00:00Z'),
    });
    assert.is(third.summary?.findings.byDetector[DETECTOR] ?? 0, 0);
    assert.is(
      (await queryFindings(h.store.client, LOCAL_TABLES.findings, { detector: DETECTOR, limit: 10 }, [])).length,
      1,
    );
  } finally {
    await h.close();
  }
});

test('a Correlate that keeps failing still lets Publish count what Analyze stored', async () => {
  const h = await localHarness();
  try {
    const trail = new MemoryTrail();
    let attempts = 0;
    put(trail, '2026-11-30T10:05:00Z', 'a', [
      call('192.0.2.10', '2026-11-30T10:01:00Z'),
      aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', eventTime: '2026-11-30T10:02:00Z' }),
    ]);
    const result = await h.run({
      lister: trail,
      reader: trail,
      input: backfill('2026-11-30T10:00:00Z', '2026-11-30T11:00:00Z'),
      correlate: async () => {
        attempts++;
        throw Object.assign(new Error('simulated outage'), { name: 'ServiceUnavailable' });
      },
    });
    // Retried like every Task (5 attempts for the first shard, then the Map gives up).
    assert.ok(attempts >= 5, `Correlate was tried ${attempts} times`);
    assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
    assert.is(result.summary?.findings.byDetector['deleting-logs'], 1);
  } finally {
    await h.close();
  }
});

test.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlationFindingId } from '../../functions/core/correlation.ts';
import { createSecretsManagerSecretsReadInBulk } from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { analyzeAndCorrelate } from '../helpers/correlate.ts';
import { MemoryFindings, MemoryTrail } from '../helpers/fakes.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { aCall, anIamUser } from '../helpers/records.ts';

const test = suite('burst detectors across UTC midnight through the correlation stage');

const detector = createSecretsManagerSecretsReadInBulk({ threshold: 4 });
const PIPELINE = 'arn:aws:iam::123456789012:user/terraform#123456789012#';
const CROSSING_ID = correlationFindingId(
  detector.meta.id,
  `${PIPELINE}2026-10-02T00:00:00.000Z`,
  '2026-10-01T23:50:00.000Z/2026-10-02T00:00:00.000Z',
);

/** The aggregate store, counting the keys read (Correlate's own reads and its lookups). */
class CountingStore extends MemoryAggregateStore {
  readonly reads: string[] = [];
  override async readAggregates(detector: string, key: string): Promise<unknown[]> {
    this.reads.push(key);
    return super.readAggregates(detector, key);
  }
}

const read = (secretId: string, eventTime: string, user = 'terraform'): CloudTrailRecord =>
  aCall(
    'secretsmanager',
    'GetSecretValue',
    { secretId },
    { eventTime, userIdentity: anIamUser({ arn: `arn:aws:iam::123456789012:user/${user}`, userName: user }) },
  );

/**
 * The pipeline's burst of 4 secrets from 23:58 to 00:02 (2 calls each side of midnight), and a
 * noon reader on each day, dealt over 8 objects per day under the day's delivery prefix.
 */
function aTrail(seed = 9): { trail: MemoryTrail; before: string[]; after: string[] } {
  const rng = mulberry32(seed);
  const days = { '01': [] as CloudTrailRecord[][], '02': [] as CloudTrailRecord[][] };
  for (const day of Object.values(days)) for (let i = 0; i < 8; i++) day.push([]);
  const deal = (day: '01' | '02', record: CloudTrailRecord) => days[day][rng.int(0, 7)]!.push(record);
  deal('01', read('tf-0', '2026-10-01T23:58:00Z'));
  deal('01', read('tf-1', '2026-10-01T23:59:30Z'));
  deal('02', read('tf-2', '2026-10-02T00:01:00Z'));
  deal('02', read('tf-3', '2026-10-02T00:02:00Z'));
  for (const day of ['01', '02'] as const)
    for (let i = 0; i < 6; i++) deal(day, read(`app-${i % 2}`, `2026-10-${day}T12:0${i}:00Z`, 'app'));
  const trail = new MemoryTrail();
  const keysOf = (day: '01' | '02') =>
    days[day].map((records, i) => {
      const key = `AWSLogs/123456789012/CloudTrail/us-east-1/2026/10/${day}/obj-${i}.json.gz`;
      trail.putRecords(key, records);
      return key;
    });
  return { trail, before: keysOf('01'), after: keysOf('02') };
}

test('found once in one run, whatever the work-item order and size', async () => {
  const { trail, before, after } = aTrail();
  for (const [seed, batchSize] of [
    [1, 1],
    [2, 3],
    [3, 5],
    [4, 500],
  ] as const) {
    const order = mulberry32(seed).shuffle([...before, ...after]);
    const { findings } = await analyzeAndCorrelate(trail, order, { detectors: [detector], batchSize });
    assert.equal([...findings.items.keys()], [CROSSING_ID], `seed ${seed}, batches of ${batchSize}`);
    assert.match(findings.items.get(CROSSING_ID)!.reason ?? '', /terraform read 4 distinct secrets/);
  }
});

test('found once when either day arrives in a later run, and when both days are judged again', async () => {
  for (const lateDay of ['before', 'after'] as const) {
    const { trail, before, after } = aTrail();
    const [early, late] = lateDay === 'before' ? [after, before] : [before, after];
    const stores = { findings: new MemoryFindings(), aggregates: new MemoryAggregateStore() };
    const first = await analyzeAndCorrelate(trail, early, { detectors: [detector], runId: 'run-1' }, stores);
    assert.equal([...first.findings.items.keys()], [], `${lateDay} late: nothing from one day alone`);
    const second = await analyzeAndCorrelate(trail, late, { detectors: [detector], runId: 'run-2' }, stores);
    assert.equal([...second.findings.items.keys()], [CROSSING_ID], `${lateDay} late: the late day raises it`);
    const again = await analyzeAndCorrelate(
      trail,
      [...before, ...after],
      { detectors: [detector], runId: 'run-3', batchSize: 3 },
      stores,
    );
    assert.equal([...again.findings.items.keys()], [CROSSING_ID], `${lateDay} late: judged again, still one`);
    const counts = again.shards.reduce(
      (n, shard) => [n[0]! + shard.findings.new, n[1]! + shard.findings.duplicate],
      [0, 0],
    );
    assert.equal(counts, [0, 2], 'both days give the same finding id: two duplicates, nothing new');
  }
});

test('reads a neighbouring day only for keys whose boundary window holds calls that do not fire', async () => {
  const { trail, before, after } = aTrail();
  const aggregates = new CountingStore();
  await analyzeAndCorrelate(trail, [...before, ...after], { detectors: [detector] }, { aggregates });
  const app = aggregates.reads.filter((key) => key.startsWith('arn:aws:iam::123456789012:user/app#')).sort();
  // The noon reader's two keys, each read once to be judged: no lookup of another day.
  assert.equal(app, [
    'arn:aws:iam::123456789012:user/app#123456789012#2026-10-01T00:00:00.000Z',
    'arn:aws:iam::123456789012:user/app#123456789012#2026-10-02T00:00:00.000Z',
  ]);
  // The pipeline's two keys, each judged and each looked up by the other: four reads.
  assert.is(aggregates.reads.filter((key) => key.startsWith(PIPELINE)).length, 4);
});

test.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { MAX_AGGREGATE_BYTES } from '../../functions/core/correlation.ts';
import {
  canonicalSightings,
  sightingBytes,
  WINDOW_BYTES,
  windowStart,
  type BurstAggregate,
  type Sighting,
} from '../../functions/detectors/burst.ts';
import {
  createSecretsManagerSecretsReadInBulk,
  secretsManagerSecretsReadInBulk as detector,
} from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const read = (secretId: string, eventTime: string, overrides: Partial<CloudTrailRecord> = {}) =>
  aCall('secretsmanager', 'GetSecretValue', { secretId }, { eventTime, ...overrides });
const observe = (d: typeof detector, record: CloudTrailRecord, object = 'k') => d.observe(record, object)![0]!;

const canonical = suite('canonicalSightings');

const sighting = (rng: ReturnType<typeof mulberry32>): Sighting => [
  `2026-10-01T00:0${rng.int(0, 9)}:00.000Z`,
  `item-${rng.int(0, 12)}`,
  rng.chance(0.3) ? 1 : 0,
  rng.int(0, 3) * 60_000,
];

canonical('keeps per item the earliest sighting, then the cap earliest, sorted', () => {
  const result = canonicalSightings(
    [
      ['2026-10-01T00:05:00Z', 'x', 0],
      ['2026-10-01T00:01:00Z', 'x', 1],
      ['2026-10-01T00:02:00Z', 'y', 0],
      ['2026-10-01T00:03:00Z', 'z', 0],
    ],
    2,
  );
  assert.equal(result, [
    ['2026-10-01T00:01:00Z', 'x', 1],
    ['2026-10-01T00:02:00Z', 'y', 0],
  ]);
});

canonical("keeps each item's latest time while under the cap, and drops them all at the cap", () => {
  const sightings: Sighting[] = [
    ['2026-10-01T00:05:00.000Z', 'x', 0, 0],
    ['2026-10-01T00:01:00.000Z', 'x', 1, 60_000],
    ['2026-10-01T00:02:00.000Z', 'y', 0, 0],
  ];
  // x: first at 00:01 (failed), last at 00:05, 4 minutes later.
  assert.equal(canonicalSightings(sightings, 3), [
    ['2026-10-01T00:01:00.000Z', 'x', 1, 240_000],
    ['2026-10-01T00:02:00.000Z', 'y', 0, 0],
  ]);
  assert.equal(canonicalSightings(sightings, 2), [
    ['2026-10-01T00:01:00.000Z', 'x', 1],
    ['2026-10-01T00:02:00.000Z', 'y', 0],
  ]);
});

canonical('merge is a semilattice join: associative, commutative, idempotent, bounded', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rng = mulberry32(seed);
    const sets = [0, 1, 2].map(() =>
      canonicalSightings(
        Array.from({ length: rng.int(0, 15) }, () => sighting(rng)),
        4,
      ),
    );
    const [a, b, c] = sets as [Sighting[], Sighting[], Sighting[]];
    const join = (x: Sighting[], y: Sighting[]) => canonicalSightings([...x, ...y], 4);
    assert.equal(join(join(a, b), c), join(a, join(b, c)), `associative, seed ${seed}`);
    assert.equal(join(a, b), join(b, a), `commutative, seed ${seed}`);
    assert.equal(join(a, a), a, `idempotent, seed ${seed}`);
    assert.ok(join(a, b).length <= 4, `bounded, seed ${seed}`);
  }
});

canonical.run();

const keys = suite('burst keys');

keys('one key per principal, account and UTC day, holding each window of the day', () => {
  const early = observe(detector, read('a', '2026-10-01T00:01:00Z'));
  const late = observe(detector, read('b', '2026-10-01T23:59:00Z'));
  const nextDay = observe(detector, read('c', '2026-10-02T00:00:00Z'));
  assert.is(early.key, 'arn:aws:iam::123456789012:user/alice#123456789012#2026-10-01T00:00:00.000Z');
  assert.is(late.key, early.key);
  assert.is.not(nextDay.key, early.key);
  assert.equal(Object.keys(detector.merge(early.aggregate, late.aggregate).windows), [
    '2026-10-01T00:00:00.000Z',
    '2026-10-01T23:50:00.000Z',
  ]);
});

keys('a key stays small whatever the account text a record written into the bucket carries', () => {
  const huge = (fill: string) => read('a', '2026-10-01T00:01:00Z', { recipientAccountId: fill.repeat(200_000) });
  const [first, second] = [observe(detector, huge('9')), observe(detector, huge('8'))];
  for (const { key } of [first, second]) assert.ok(Buffer.byteLength(key) < 700, `${Buffer.byteLength(key)} bytes`);
  assert.is.not(first.key, second.key, 'two different accounts keep two keys');
});

keys('judges each window on its own: a finding per window over the threshold, with its own first call', async () => {
  const wide = createSecretsManagerSecretsReadInBulk({ threshold: 3 });
  const records = [
    ...timesFrom('2026-10-01T09:00:00Z', 3).map((t, i) => read(`s${i}`, t, { sourceIPAddress: '203.0.113.7' })),
    ...timesFrom('2026-10-01T09:10:00Z', 2).map((t, i) => read(`s${i}`, t)),
    ...timesFrom('2026-10-01T14:20:00Z', 4).map((t, i) => aFailed(read(`t${i}`, t))),
  ];
  const verdicts = await verdictsOf(wide, records);
  assert.equal(
    verdicts.map((v) => [v.subject, v.record.eventTime, v.record.sourceIPAddress, v.match.severity ?? '']),
    [
      ['2026-10-01T09:00:00.000Z', '2026-10-01T09:00:00Z', '203.0.113.7', ''],
      ['2026-10-01T14:20:00.000Z', '2026-10-01T14:20:00Z', '192.0.2.10', 'medium'],
    ],
  );
  assert.is(verdicts[0]!.record.userIdentity?.arn, 'arn:aws:iam::123456789012:user/alice');
  assert.is(verdicts[0]!.record.eventName, 'GetSecretValue');
  assert.is(verdicts[0]!.record.eventID, records[0]!.eventID);
});

keys('same verdicts whatever the order, with windows split across objects and a day boundary', async () => {
  const wide = createSecretsManagerSecretsReadInBulk({ threshold: 4 });
  // A burst from 23:52 to 00:08: two windows, two keys (days); each window's records fall in
  // several objects, so no one work item holds a whole window.
  const records = timesFrom('2026-10-01T23:52:00Z', 24, 40).map((t, i) => read(`s${i % 7}`, t));
  const verdicts = await verdictsOf(wide, records);
  assert.equal(
    verdicts.map((v) => v.subject),
    ['2026-10-01T23:50:00.000Z', '2026-10-02T00:00:00.000Z'],
  );
  await assertOrderFree(wide, records);
});

keys('packs the keys of an account and day into a few buckets, whatever the principal', () => {
  const packs = new Set(
    Array.from({ length: 200 }, (_, i) =>
      detector.pack!(`arn:aws:iam::123456789012:user/u${i}#123456789012#2026-10-01T00:00:00.000Z`),
    ),
  );
  assert.equal(
    [...packs].sort(),
    [0, 1, 2, 3].map((n) => `123456789012#2026-10-01T00:00:00.000Z#${n}`),
  );
  const today = detector.pack!(observe(detector, read('a', '2026-10-01T00:01:00Z')).key);
  const tomorrow = detector.pack!(observe(detector, read('a', '2026-10-02T00:01:00Z')).key);
  assert.is(tomorrow, today.replace('2026-10-01', '2026-10-02'));
});

keys.run();

const merge = suite('burst merge');

const randomAggregate = (rng: ReturnType<typeof mulberry32>, d = detector): BurstAggregate => {
  const records = Array.from({ length: rng.int(1, 12) }, () =>
    read(`s${rng.int(0, 14)}`, `2026-10-01T${String(rng.int(0, 23)).padStart(2, '0')}:0${rng.int(0, 9)}:00Z`, {
      eventID: `e-${rng.int(0, 20)}`,
    }),
  );
  return records.map((r) => observe(d, r, `o-${rng.int(0, 3)}`).aggregate).reduce((a, b) => d.merge(a, b));
};

merge('is a semilattice join over windows, and accumulate gives what merge gives', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const rng = mulberry32(seed);
    const [a, b, c] = [randomAggregate(rng), randomAggregate(rng), randomAggregate(rng)];
    const m = detector.merge;
    assert.equal(m(m(a, b), c), m(a, m(b, c)), `associative, seed ${seed}`);
    assert.equal(m(a, b), m(b, a), `commutative, seed ${seed}`);
    assert.equal(m(a, structuredClone(a)), a, `idempotent, seed ${seed}`);
    assert.equal(detector.accumulate!(structuredClone(a), structuredClone(b)), m(a, b), `accumulate, seed ${seed}`);
  }
});

merge('keeps the earliest call whatever the argument order', () => {
  const early = observe(detector, read('a', '2026-10-01T00:01:00Z'), 'k1').aggregate;
  const late = observe(detector, read('b', '2026-10-01T00:02:00Z'), 'k2').aggregate;
  assert.equal(detector.merge(early, late), detector.merge(late, early));
  assert.is(detector.merge(late, early).first.objectKey, 'k1');
  assert.is(detector.merge(late, early).windows['2026-10-01T00:00:00.000Z']!.f[2], 'k1');
});

merge('keeps every window of a principal that calls all day', () => {
  const day = Array.from({ length: 144 * 3 }, (_, i) =>
    read(`app-secret-${i % 3}`, new Date(Date.parse('2026-10-01T00:00:30Z') + i * 200_000).toISOString()),
  );
  const joined = day.map((r) => observe(detector, r).aggregate).reduce((a, b) => detector.merge(a, b));
  assert.is(Object.keys(joined.windows).length, 144);
});

merge('stays under the aggregate limit whatever the records, dropping only the latest windows', () => {
  const wide = createSecretsManagerSecretsReadInBulk({ threshold: 100 });
  const big = (minute: number) =>
    aCall(
      'secretsmanager',
      'BatchGetSecretValue',
      { secretIdList: Array.from({ length: 200 }, (_, j) => `${minute}-${j}-"\u0001${'s'.repeat(600)}`) },
      {
        eventTime: new Date(Date.parse('2026-10-01T00:00:00Z') + minute * 60_000).toISOString(),
        userAgent: '\u00e9'.repeat(5000),
        eventID: `e-${minute}-${'\\'.repeat(600)}`,
        sourceIPAddress: '"'.repeat(300),
        errorCode: 'x'.repeat(900),
        userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice', extra: 'x'.repeat(9000) },
      },
    );
  const aggregates = Array.from({ length: 1440 }, (_, minute) => wide.observe(big(minute), 'k'.repeat(1024))![0]!);
  const joined = aggregates.map((o) => o.aggregate).reduce((a, b) => wide.merge(a, b));
  const bytes = Buffer.byteLength(JSON.stringify(joined));
  assert.ok(bytes < MAX_AGGREGATE_BYTES, `${bytes} bytes`);
  const windows = Object.keys(joined.windows);
  assert.ok(windows.length > 10 && windows.length < 144, `${windows.length} windows`);
  assert.is(windows[0], '2026-10-01T00:00:00.000Z');
  // The stated worst cases hold for every window kept.
  for (const window of Object.values(joined.windows)) {
    const json = JSON.stringify({ '2026-10-01T00:00:00.000Z': { ...window, s: [] } });
    assert.ok(Buffer.byteLength(json) <= WINDOW_BYTES, `window ${json.length}`);
    for (const s of window.s) assert.ok(Buffer.byteLength(`${JSON.stringify(s)},`) <= sightingBytes(600_000));
  }
});

merge.run();

const windows = suite('windowStart');

windows('aligns to the epoch and refuses unreadable times', () => {
  assert.is(windowStart('2026-10-01T00:17:59Z', 10), '2026-10-01T00:10:00.000Z');
  assert.is(windowStart('not a time', 10), undefined);
  assert.is(windowStart(42, 10), undefined);
});

windows.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_AGGREGATE_BYTES } from '../../functions/core/correlation.ts';
import { canonicalSightings, slimRecord, windowStart, type Sighting } from '../../functions/detectors/burst.ts';
import { secretsManagerSecretsReadInBulk as detector } from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { aCall } from '../helpers/records.ts';

const canonical = suite('canonicalSightings');

const sighting = (rng: ReturnType<typeof mulberry32>): Sighting => [
  `2026-10-01T00:0${rng.int(0, 9)}:00Z`,
  `id-${rng.int(0, 30)}`,
  `item-${rng.int(0, 12)}`,
  rng.chance(0.3) ? 1 : 0,
];

canonical('keeps per item the earliest sighting, then the cap earliest, sorted', () => {
  const result = canonicalSightings(
    [
      ['2026-10-01T00:05:00Z', 'b', 'x', 0],
      ['2026-10-01T00:01:00Z', 'a', 'x', 1],
      ['2026-10-01T00:02:00Z', 'c', 'y', 0],
      ['2026-10-01T00:03:00Z', 'd', 'z', 0],
    ],
    2,
  );
  assert.equal(result, [
    ['2026-10-01T00:01:00Z', 'a', 'x', 1],
    ['2026-10-01T00:02:00Z', 'c', 'y', 0],
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

const merge = suite('burst merge');

merge('keeps the earliest record of the window whatever the argument order', () => {
  const early = detector.observe(
    aCall('secretsmanager', 'GetSecretValue', { secretId: 'a' }, { eventTime: '2026-10-01T00:01:00Z' }),
    'k1',
  )![0]!.aggregate;
  const late = detector.observe(
    aCall('secretsmanager', 'GetSecretValue', { secretId: 'b' }, { eventTime: '2026-10-01T00:02:00Z' }),
    'k2',
  )![0]!.aggregate;
  assert.equal(detector.merge(early, late), detector.merge(late, early));
  assert.is(detector.merge(late, early).first.objectKey, 'k1');
  assert.equal(detector.merge(early, early), early);
});

merge('stays under the aggregate limit at the largest threshold with the largest items and records', async () => {
  const { createSecretsManagerSecretsReadInBulk } = await import(
    '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts'
  );
  const wide = createSecretsManagerSecretsReadInBulk({ threshold: 100 });
  const big = (i: number) =>
    aCall(
      'secretsmanager',
      'BatchGetSecretValue',
      { secretIdList: Array.from({ length: 20 }, (_, j) => `${i}-${j}-${'s'.repeat(600)}`) },
      { userAgent: 'u'.repeat(5000), eventID: `e-${i}-${'x'.repeat(600)}` },
    );
  const joined = Array.from({ length: 20 }, (_, i) => wide.observe(big(i), 'k'.repeat(1024))![0]!.aggregate).reduce(
    (a, b) => wide.merge(a, b),
  );
  assert.ok(JSON.stringify(joined).length < MAX_AGGREGATE_BYTES, `${JSON.stringify(joined).length} bytes`);
});

merge('stays small whatever the record: aggregates of huge records are bounded', () => {
  const huge = aCall(
    'secretsmanager',
    'BatchGetSecretValue',
    { secretIdList: Array.from({ length: 5000 }, (_, i) => `s-${i}-${'x'.repeat(500)}`) },
    { userAgent: 'u'.repeat(100_000) },
  );
  const aggregate = detector.observe(huge, 'k')![0]!.aggregate;
  assert.ok(JSON.stringify(aggregate).length < 16 * 1024);
});

merge.run();

const windows = suite('windowStart');

windows('aligns to the epoch and refuses unreadable times', () => {
  assert.is(windowStart('2026-10-01T00:17:59Z', 10), '2026-10-01T00:10:00.000Z');
  assert.is(windowStart('not a time', 10), undefined);
  assert.is(windowStart(42, 10), undefined);
});

windows.run();

const slim = suite('slimRecord');

slim('keeps the fields a finding shows and drops large nested objects', () => {
  const record = aCall('s3', 'PutObject', { big: 'x'.repeat(10_000) }, { additionalEventData: { x: 1 } });
  const copy = slimRecord(record);
  assert.equal(copy.requestParameters, { truncated: true });
  assert.is(copy.eventID, record.eventID);
  assert.is(copy.additionalEventData, undefined);
});

slim.run();

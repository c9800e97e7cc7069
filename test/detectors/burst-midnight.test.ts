import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import type { Verdict } from '../../functions/core/correlation.ts';
import type { BurstAggregate } from '../../functions/detectors/burst.ts';
import { createSecretsManagerSecretsReadInBulk } from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { assertOrderFree, verdictsOf } from '../helpers/correlation.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { aCall } from '../helpers/records.ts';

const read = (secretId: string, eventTime: string) =>
  aCall('secretsmanager', 'GetSecretValue', { secretId }, { eventTime });
const ALICE = 'arn:aws:iam::123456789012:user/alice#123456789012#';
const DAY_BEFORE = `${ALICE}2026-10-01T00:00:00.000Z`;
const DAY = `${ALICE}2026-10-02T00:00:00.000Z`;
const PAIR = '2026-10-01T23:50:00.000Z/2026-10-02T00:00:00.000Z';

/** Every key's joined aggregate, and its judge with a lookup that records the keys it reads. */
function judgeEach(detector: ReturnType<typeof createSecretsManagerSecretsReadInBulk>, records: CloudTrailRecord[]) {
  const joined = new Map<string, BurstAggregate>();
  for (const record of records) {
    for (const { key, aggregate } of detector.observe(record, 'AWSLogs/123456789012/obj-1.json.gz') ?? []) {
      const known = joined.get(key);
      joined.set(key, known ? detector.merge(known, aggregate) : aggregate);
    }
  }
  const looked: string[] = [];
  const judge = async (key: string): Promise<readonly Verdict[]> =>
    detector.judge(key, joined.get(key)!, async (other) => {
      looked.push(other);
      return joined.get(other);
    });
  return { joined, looked, judge };
}

const crossing = suite('burst judge across two periods');

crossing('a burst across midnight under the threshold in each day is one finding, judged from either day', async () => {
  const detector = createSecretsManagerSecretsReadInBulk({ threshold: 4 });
  const records = [
    read('s0', '2026-10-01T23:58:00Z'),
    read('s1', '2026-10-01T23:59:00Z'),
    read('s2', '2026-10-02T00:01:00Z'),
    read('s3', '2026-10-02T00:02:00Z'),
  ];
  const verdicts = await verdictsOf(detector, records);
  assert.equal(
    verdicts.map((v) => [v.subject, v.identityKey, v.record.eventTime]),
    [[PAIR, DAY, '2026-10-02T00:01:00Z']],
  );
  assert.match(verdicts[0]!.match.reason ?? '', /read 4 distinct secrets between 2026-10-01T23:58:00.000Z and/);
  const { judge } = judgeEach(detector, records);
  assert.equal(await judge(DAY_BEFORE), verdicts, 'the day before gives the same verdict');
  assert.equal(await judge(DAY), verdicts, 'the day after gives the same verdict');
  await assertOrderFree(detector, records);
});

crossing('the same verdict from both days whatever the burst, with random calls on each side', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rng = mulberry32(seed);
    const detector = createSecretsManagerSecretsReadInBulk({ threshold: rng.int(2, 5) });
    const records = Array.from({ length: rng.int(1, 8) }, () =>
      read(`s${rng.int(0, 6)}`, new Date(Date.parse('2026-10-01T23:50:00Z') + rng.int(0, 1199) * 1000).toISOString()),
    );
    const { joined, judge } = judgeEach(detector, records);
    if (joined.size < 2) continue;
    const pairs = async (key: string) => (await judge(key)).filter((v) => v.subject === PAIR);
    assert.equal(await pairs(DAY_BEFORE), await pairs(DAY), `seed ${seed}`);
  }
});

crossing('a window that fires on its own on one side gives no pair finding', async () => {
  const detector = createSecretsManagerSecretsReadInBulk({ threshold: 4 });
  const before = ['s0', 's1', 's2', 's3'].map((s, i) => read(s, `2026-10-01T23:5${5 + i}:00Z`));
  const after = [read('t0', '2026-10-02T00:00:30Z'), read('t1', '2026-10-02T00:01:00Z')];
  assert.equal(
    (await verdictsOf(detector, [...before, ...after])).map((v) => v.subject),
    ['2026-10-01T23:50:00.000Z'],
  );
  const early = [read('t0', '2026-10-01T23:59:00Z'), read('t1', '2026-10-01T23:59:30Z')];
  const late = ['s0', 's1', 's2', 's3'].map((s, i) => read(s, `2026-10-02T00:0${i}:00Z`));
  assert.equal(
    (await verdictsOf(detector, [...early, ...late])).map((v) => v.subject),
    ['2026-10-02T00:00:00.000Z'],
  );
});

crossing('looks up a neighbouring day only when a boundary window holds calls and does not fire', async () => {
  const detector = createSecretsManagerSecretsReadInBulk({ threshold: 4 });
  // Mid-day calls only: no lookup.
  const quiet = judgeEach(detector, [read('s0', '2026-10-02T12:00:00Z'), read('s1', '2026-10-02T12:01:00Z')]);
  await quiet.judge(DAY);
  assert.equal(quiet.looked, []);
  // First and last windows that fire: no lookup either.
  const firing = judgeEach(detector, [
    ...['s0', 's1', 's2', 's3'].map((s) => read(s, '2026-10-02T00:01:00Z')),
    ...['s0', 's1', 's2', 's3'].map((s) => read(s, '2026-10-02T23:58:00Z')),
  ]);
  await firing.judge(DAY);
  assert.equal(firing.looked, []);
  // A quiet first window reads the day before; a quiet last window the day after.
  const edges = judgeEach(detector, [read('s0', '2026-10-02T00:01:00Z'), read('s1', '2026-10-02T23:58:00Z')]);
  assert.equal(await edges.judge(DAY), []);
  assert.equal(edges.looked, [DAY_BEFORE, `${ALICE}2026-10-03T00:00:00.000Z`]);
});

crossing(
  'windows that do not divide a day: a window never spans two keys, and a burst across keys is found',
  async () => {
    for (const windowMinutes of [7, 11, 13.5, 25, 0.5, 1440]) {
      const detector = createSecretsManagerSecretsReadInBulk({ threshold: 4, windowMinutes });
      const windowMs = windowMinutes * 60_000;
      const keyAt = (ms: number) => detector.observe(read('s', new Date(ms).toISOString()), 'o')![0]!;
      const rng = mulberry32(windowMinutes * 10);
      for (let i = 0; i < 200; i++) {
        const { key, aggregate } = keyAt(Date.parse('2026-10-01T00:00:00Z') + rng.int(0, 3 * 86_400 - 1) * 1000);
        const start = Date.parse(Object.keys(aggregate.windows)[0]!);
        assert.is(keyAt(start).key, key, `${windowMinutes} minutes: the window's start is in its key`);
        assert.is(keyAt(start + windowMs - 1).key, key, `${windowMinutes} minutes: the window's end is in its key`);
      }
      // The next key's period start, found by stepping a minute at a time; a burst of 4 around it.
      const first = keyAt(Date.parse('2026-10-01T00:00:00Z')).key;
      let t = Date.parse('2026-10-01T00:00:00Z');
      while (keyAt(t).key === first) t += 60_000;
      const next = keyAt(t).key;
      const boundary = Date.parse(next.slice(next.lastIndexOf('#') + 1));
      const step = Math.min(windowMs / 4, 30_000);
      const records = [-2, -1, 0, 1].map((k, n) => read(`s${n}`, new Date(boundary + k * step).toISOString()));
      const verdicts = await verdictsOf(detector, records);
      assert.equal(
        verdicts.map((v) => [v.subject.includes('/'), v.identityKey]),
        [[true, next]],
        `windows of ${windowMinutes} minutes`,
      );
    }
  },
);

crossing.run();

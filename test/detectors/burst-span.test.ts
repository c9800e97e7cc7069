import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { widestSpan } from '../../functions/detectors/burst-span.ts';
import { SIGHTING_BYTES, sightingBytes, type Sighting } from '../../functions/detectors/burst.ts';
import { createSecretsManagerSecretsReadInBulk } from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const read = (secretId: string, eventTime: string, overrides: Partial<CloudTrailRecord> = {}) =>
  aCall('secretsmanager', 'GetSecretValue', { secretId }, { eventTime, ...overrides });
const at = (clock: string) => `2026-10-01T${clock}Z`;
const ms = (clock: string) => Date.parse(at(clock));
const TEN_MINUTES = 600_000;
/** A window item first seen at `from` and last at `to`. */
const item = (name: string, from: string, to = from, failed: 0 | 1 = 0): Sighting => [
  new Date(ms(from)).toISOString(),
  name,
  failed,
  ms(to) - ms(from),
];

const span = suite('widestSpan');

span('counts an item of the earlier window by its last sighting and one of the later by its first', () => {
  const before = [item('a', '13:11:00', '13:19:58'), item('b', '13:12:00')];
  const after = [item('c', '13:20:05', '13:29:00'), item('d', '13:29:58'), item('e', '13:21:00')];
  // From 13:12:00: a (last 13:19:58), b, c, e; d is after 13:22:00. From 13:19:58: a, c, e, not d.
  assert.equal(widestSpan(before, after, TEN_MINUTES, 4), {
    first: ms('13:12:00'),
    last: ms('13:21:00'),
    items: [
      [ms('13:12:00'), 'b', 0],
      [ms('13:19:58'), 'a', 0],
      [ms('13:20:05'), 'c', 0],
      [ms('13:21:00'), 'e', 0],
    ],
  });
  assert.is(widestSpan(before, after, TEN_MINUTES, 5), undefined);
});

span('ends the span one window after its first call, that instant excluded', () => {
  const before = [item('a', '13:19:58')];
  assert.is(widestSpan(before, [item('b', '13:20:05'), item('c', '13:29:58')], TEN_MINUTES, 3), undefined);
  assert.is(widestSpan(before, [item('b', '13:20:05'), item('c', '13:29:57.999')], TEN_MINUTES, 3)?.items.length, 3);
});

span('counts an item seen on both sides once, failed only when both sides failed', () => {
  const before = [item('a', '13:19:00', '13:19:00', 1), item('b', '13:19:30', '13:19:30', 1)];
  const after = [item('a', '13:20:00', '13:20:00', 0), item('c', '13:20:10', '13:20:10', 1)];
  assert.equal(widestSpan(before, after, TEN_MINUTES, 3)?.items, [
    [ms('13:19:00'), 'a', 0],
    [ms('13:19:30'), 'b', 1],
    [ms('13:20:10'), 'c', 1],
  ]);
  assert.is(widestSpan(before, after, TEN_MINUTES, 4), undefined);
});

span('takes the earliest of equally wide spans', () => {
  const before = [item('a', '13:15:00'), item('b', '13:16:00')];
  const after = [item('c', '13:20:00'), item('d', '13:30:00')];
  // From 13:15: a, b, c. From 13:16: b, c (d at 13:30 is past 13:26).
  assert.is(widestSpan(before, after, TEN_MINUTES, 2)?.first, ms('13:15:00'));
});

span.run();

const straddle = suite('burst spans across a window boundary');

const three = createSecretsManagerSecretsReadInBulk({ threshold: 3 });

straddle(
  'flags a burst split by a boundary once, with its span and count, shown by the first call after it',
  async () => {
    // A Terraform plan at 13:19:58-13:20:01: two secrets in each 10-minute window, threshold 3.
    const records = [
      read('db', at('13:19:58')),
      read('api', at('13:19:59')),
      read('queue', at('13:20:00'), { sourceIPAddress: '198.51.100.9' }),
      read('cache', at('13:20:01')),
    ];
    const verdicts = await verdictsOf(three, records);
    assert.equal(
      verdicts.map((v) => [v.subject, v.record.eventTime, v.record.eventID, v.record.sourceIPAddress, v.match.reason]),
      [
        [
          '2026-10-01T13:10:00.000Z/2026-10-01T13:20:00.000Z',
          at('13:20:00'),
          records[2]!.eventID,
          '198.51.100.9',
          'arn:aws:iam::123456789012:user/alice read 4 distinct secrets between 2026-10-01T13:19:58.000Z and ' +
            '2026-10-01T13:20:01.000Z, within 10 minutes across two windows (db, api, queue, cache).',
        ],
      ],
    );
    assert.is(verdicts[0]!.match.severity, undefined);
    await assertOrderFree(three, records);
  },
);

straddle('finds 2 × (threshold − 1) items paced around a boundary, not the same items a window apart', async () => {
  const wide = createSecretsManagerSecretsReadInBulk({ threshold: 10 });
  const paced = [
    ...timesFrom('2026-10-01T13:15:00Z', 9, 30).map((t, i) => read(`early-${i}`, t)),
    ...timesFrom('2026-10-01T13:20:00Z', 9, 30).map((t, i) => read(`late-${i}`, t)),
  ];
  const verdicts = await verdictsOf(wide, paced);
  assert.equal(
    verdicts.map((v) => v.subject),
    ['2026-10-01T13:10:00.000Z/2026-10-01T13:20:00.000Z'],
  );
  assert.match(verdicts[0]!.match.reason ?? '', /read 18 distinct secrets between 2026-10-01T13:15:00.000Z and/);
  // Two reads, then two more exactly a window later: never three within 10 minutes.
  const apart = [
    read('a', at('13:11:00')),
    read('b', at('13:12:00')),
    read('c', at('13:21:00')),
    read('d', at('13:22:00')),
  ];
  assert.equal(await verdictsOf(three, apart), []);
  await assertOrderFree(wide, paced);
});

straddle(
  'gives one finding when a window fires on its own, not a second for the span across its boundary',
  async () => {
    const fillsEarlier = [
      ...timesFrom('2026-10-01T13:19:50Z', 3, 1).map((t, i) => read(`s${i}`, t)),
      read('s3', at('13:20:00')),
    ];
    assert.equal(
      (await verdictsOf(three, fillsEarlier)).map((v) => v.subject),
      ['2026-10-01T13:10:00.000Z'],
    );
    const fillsLater = [
      read('s0', at('13:19:59')),
      ...timesFrom('2026-10-01T13:20:00Z', 3, 1).map((t, i) => read(`t${i}`, t)),
    ];
    assert.equal(
      (await verdictsOf(three, fillsLater)).map((v) => v.subject),
      ['2026-10-01T13:20:00.000Z'],
    );
  },
);

straddle('counts an item by its last read before the boundary, whatever the order (the cap keeps it)', async () => {
  // Window 13:10 holds 2 items, under the threshold and so under the cap: both keep their last read.
  const records = [
    read('b', at('13:10:10')),
    read('a', at('13:11:00')),
    ...timesFrom('2026-10-01T13:13:00Z', 40, 10).map((t) => read('a', t)),
    read('c', at('13:20:30')),
  ];
  // a is last read at 13:19:30: from then on a and c, two, not enough; from 13:10:10, a and b.
  assert.equal(await verdictsOf(three, records), []);
  const more = [...records, read('d', at('13:29:29'))];
  const verdicts = await verdictsOf(three, more);
  assert.equal(
    verdicts.map((v) => [
      v.subject,
      /3 distinct secrets between 2026-10-01T13:19:30.000Z and 2026-10-01T13:29:29/.test(v.match.reason ?? ''),
    ]),
    [['2026-10-01T13:10:00.000Z/2026-10-01T13:20:00.000Z', true]],
  );
  await assertOrderFree(three, more);
  // Without a's last read (only its first, 13:11:00) no span would reach c and d together.
  // A window at the cap (threshold + 1 items) keeps no latest times, and fires on its own.
  const full = ['x', 'y', 'z', 'w', 'v']
    .map((name, i) => three.observe(read(name, at(`13:1${i}:00`)), 'k')![0]!.aggregate)
    .reduce((a, b) => three.merge(a, b));
  assert.equal(
    full.windows['2026-10-01T13:10:00.000Z']!.s.map((s) => s.length),
    [3, 3, 3, 3],
  );
});

straddle('reports a span where every counted call failed one severity lower', async () => {
  const records = [read('a', at('13:19:58')), read('b', at('13:20:01')), read('c', at('13:20:02'))].map((r) =>
    aFailed(r),
  );
  const [verdict] = await verdictsOf(three, records);
  assert.is(verdict?.match.severity, 'medium');
  assert.match(verdict?.match.reason ?? '', /every call failed\.$/);
});

straddle('refuses windows longer than a day, and keeps a sighting within its stated bytes at any window length', () => {
  assert.throws(() => createSecretsManagerSecretsReadInBulk({ windowMinutes: 1441 }), /at most 1440/);
  const name = `"\u0001${'\u00e9'.repeat(200)}`;
  for (const windowMinutes of [10, 1440]) {
    const windowMs = windowMinutes * 60_000;
    const wide = createSecretsManagerSecretsReadInBulk({ threshold: 100, windowMinutes });
    // First and last read of the item at the two ends of its window (sub-millisecond digits dropped).
    const last = `${new Date(Date.parse(at('00:00:00')) + windowMs - 1).toISOString().slice(0, -1)}999Z`;
    const joined = [at('00:00:00'), last]
      .map((t) => wide.observe(read(name, t), 'k')![0]!.aggregate)
      .reduce((a, b) => wide.merge(a, b));
    const [sighting] = Object.values(joined.windows)[0]!.s;
    assert.is(sighting?.[3], windowMs - 1);
    const bytes = Buffer.byteLength(`${JSON.stringify(sighting)},`);
    assert.ok(bytes <= sightingBytes(windowMs) && sightingBytes(windowMs) <= SIGHTING_BYTES, `${bytes} bytes`);
  }
  assert.is(sightingBytes(600_000), 89);
});

straddle.run();

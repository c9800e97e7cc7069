import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../../functions/core/cloudtrail.ts';
import { MAX_AGGREGATE_BYTES, correlateInMemory, type Verdict } from '../../../functions/core/correlation.ts';
import { BUILT_IN_DETECTORS } from '../../../functions/detectors/index.ts';
import {
  MAX_WINDOW_THRESHOLD,
  earliestWindow,
  windowDetector,
  type WindowAggregate,
  type WindowRule,
} from '../../../functions/detectors/sigma/window.ts';
import { aRecord, anIamUser } from '../../helpers/records.ts';

const MINUTE = 60_000;
const BASE = Date.parse('2017-11-28T19:00:00Z');
const meta = { ...BUILT_IN_DETECTORS[0]!.meta, id: 'sigma-test-burst', title: 'Test burst' };

/** Counts distinct events (eventIDs) of GetSecretValue per principal: at least `k` within `w` ms. */
function burstRule(k: number, w = 10 * MINUTE): WindowRule {
  return {
    meta,
    values: (record) =>
      record.eventName === 'GetSecretValue' && typeof record.eventID === 'string' ? [record.eventID] : [],
    groupBy: ['userIdentity.arn'],
    threshold: k,
    windowMs: w,
    counted: 'events',
  };
}

function read(at: number, principal = 'alice', eventID?: string): CloudTrailRecord {
  return aRecord({
    eventName: 'GetSecretValue',
    eventTime: new Date(at).toISOString(),
    userIdentity: anIamUser({ arn: `arn:aws:iam::123456789012:user/${principal}` }),
    ...(eventID ? { eventID } : {}),
  });
}

/** A seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Splits records into objects of random sizes, in random order. */
function asObjects(records: readonly CloudTrailRecord[], next: () => number) {
  const objects: { key: string; records: CloudTrailRecord[] }[] = [];
  const order = shuffled(records, next);
  while (order.length > 0)
    objects.push({ key: `AWSLogs/o${objects.length}.json.gz`, records: order.splice(0, 1 + Math.floor(next() * 5)) });
  return objects;
}

const summary = (verdicts: readonly Verdict[]) =>
  verdicts.map((v) => `${v.subject} ${v.record.eventID} ${v.match.reason}`).sort();

const Windows = suite('windowDetector: windowing');

Windows('fires once when K events fall within the window, not when they are W apart', async () => {
  const detector = windowDetector(burstRule(3));
  const inside = [read(BASE + MINUTE), read(BASE + 5 * MINUTE), read(BASE + 10 * MINUTE - 1)];
  const verdicts = await correlateInMemory(detector, [{ key: 'k', records: inside }]);
  assert.equal(
    verdicts.map((v) => v.subject),
    ['2017-11-28T19:01:00.000Z'],
  );
  assert.is(verdicts[0]!.record.eventID, inside[0]!.eventID);
  assert.match(
    verdicts[0]!.match.reason!,
    'at least 3 events within 10m for userIdentity.arn=arn:aws:iam::123456789012:user/alice',
  );
  // The window is half-open: the third event exactly 10 minutes after the first is outside it.
  const apart = [read(BASE + MINUTE), read(BASE + 5 * MINUTE), read(BASE + 11 * MINUTE)];
  assert.equal(await correlateInMemory(detector, [{ key: 'k', records: apart }]), []);
});

Windows('a burst across a bucket boundary is caught by the later bucket', async () => {
  const detector = windowDetector(burstRule(4));
  // Buckets are 10-minute aligned: two reads just before 19:10 and two just after.
  const records = [
    read(BASE + 9 * MINUTE),
    read(BASE + 9.5 * MINUTE),
    read(BASE + 10.5 * MINUTE),
    read(BASE + 11 * MINUTE),
  ];
  const verdicts = await correlateInMemory(detector, [{ key: 'k', records }]);
  assert.equal(
    verdicts.map((v) => v.subject),
    ['2017-11-28T19:09:00.000Z'],
  );
  // The finding shows the later bucket's first event.
  assert.is(verdicts[0]!.record.eventID, records[2]!.eventID);
});

Windows('groups are counted apart, and a record seen twice counts once', async () => {
  const detector = windowDetector(burstRule(3));
  const alice = [read(BASE, 'alice'), read(BASE + MINUTE, 'alice')];
  const bob = [read(BASE + 2 * MINUTE, 'bob')];
  assert.equal(
    await correlateInMemory(detector, [
      { key: 'a', records: [...alice, ...bob] },
      { key: 'b', records: alice },
    ]),
    [],
  );
});

Windows('matches a brute-force count over every window, whatever the order, batching or duplication', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    const k = 1 + Math.floor(next() * 6);
    const w = (1 + Math.floor(next() * 10)) * MINUTE;
    const times = Array.from({ length: 5 + Math.floor(next() * 25) }, () => BASE + Math.floor(next() * 60) * 20_000);
    const records = times.map((time, index) => read(time, 'alice', `e-${seed}-${index}`));
    const detector = windowDetector(burstRule(k, w));
    const reference = summary(await correlateInMemory(detector, [{ key: 'all', records }]));
    for (let round = 0; round < 4; round++) {
      const again = [...records, ...records.slice(0, Math.floor(next() * records.length))];
      assert.equal(
        summary(await correlateInMemory(detector, asObjects(again, next))),
        reference,
        `seed ${seed} round ${round}`,
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    const anyWindow = sorted.some((start, i) => i + k - 1 < sorted.length && sorted[i + k - 1]! - start < w);
    assert.is(
      reference.length > 0,
      anyWindow,
      `seed ${seed}: k=${k} w=${w / MINUTE}m ${sorted.map((t) => (t - BASE) / 1000)}`,
    );
    for (const line of reference) {
      const start = Date.parse(line.split(' ')[0]!);
      assert.ok(
        sorted.filter((t) => t >= start && t < start + w).length >= k,
        `seed ${seed}: window from ${line} holds fewer than ${k}`,
      );
    }
  }
});

Windows.run();

const Merge = suite('windowDetector: merge');

/** The aggregates of random records for one key, as Analyze would emit them. */
function aggregatesFor(
  detector: ReturnType<typeof windowDetector>,
  next: () => number,
  count: number,
): WindowAggregate[] {
  return Array.from({ length: count }, (_, index) => {
    const record = read(BASE + Math.floor(next() * 10) * MINUTE, 'alice', `e${Math.floor(next() * 8)}-${index % 3}`);
    return detector.observe(record, `AWSLogs/o${index % 4}.json.gz`)![0]!.aggregate;
  }).filter((aggregate) => aggregate.b === BASE);
}

Merge('is associative, commutative and idempotent', () => {
  const detector = windowDetector(burstRule(3));
  const join = (a: WindowAggregate, b: WindowAggregate) => JSON.stringify(detector.merge(a, b));
  for (let seed = 1; seed <= 30; seed++) {
    const [a, b, c] = aggregatesFor(detector, random(seed), 40);
    if (!a || !b || !c) continue;
    assert.is(join(a, b), join(b, a), `commutative, seed ${seed}`);
    assert.is(
      JSON.stringify(detector.merge(detector.merge(a, b), c)),
      JSON.stringify(detector.merge(a, detector.merge(b, c))),
      `associative, seed ${seed}`,
    );
    const ab = detector.merge(a, b);
    assert.is(join(ab, ab), JSON.stringify(ab), `idempotent, seed ${seed}`);
  }
});

Merge('stays bounded whatever the input: long and control-character values, huge and deep records', () => {
  const k = MAX_WINDOW_THRESHOLD;
  const detector = windowDetector({ ...burstRule(k), values: (record) => [String(record.userAgent)] });
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  let joined: WindowAggregate | undefined;
  for (let i = 0; i < k + 8; i++) {
    const record = read(BASE + i, `${'\u0007'.repeat(5000)}${i}`, `${'\u001b'.repeat(1000)}${i}`);
    record.userAgent = `${'\u0000'.repeat(20_000)}${i}`;
    record.requestParameters = i % 8 === 0 ? deep : { blob: 'x'.repeat(100_000) };
    const aggregate = detector.observe(record, `AWSLogs/${'k'.repeat(500)}`)![0]!.aggregate;
    joined = joined ? detector.merge(joined, aggregate) : aggregate;
  }
  assert.ok(
    Buffer.byteLength(JSON.stringify(joined)) < MAX_AGGREGATE_BYTES,
    `${Buffer.byteLength(JSON.stringify(joined))} bytes`,
  );
});

Merge.run();

const Earliest = suite('earliestWindow');

Earliest('needs the first point of the bucket inside the window', () => {
  // Three points in the previous bucket alone are that bucket's verdict, not this one's.
  assert.is(
    earliestWindow(
      [
        [100, 'a'],
        [90, 'b'],
        [80, 'c'],
      ],
      [[1000, 'd']],
      3,
      500,
    ),
    undefined,
  );
  assert.is(
    earliestWindow(
      [
        [900, 'a'],
        [800, 'b'],
      ],
      [[1000, 'c']],
      3,
      500,
    ),
    800,
  );
  assert.is(
    earliestWindow(
      [],
      [
        [1000, 'a'],
        [1100, 'b'],
        [1200, 'c'],
      ],
      3,
      500,
    ),
    1000,
  );
  assert.is(earliestWindow([], [], 1, 500), undefined);
});

Earliest.run();

const Keys = suite('windowKey');

Keys('stays under 1 KB whatever the rule title and group values', async () => {
  const { windowKey } = await import('../../../functions/detectors/sigma/window.ts');
  const key = windowKey(
    `sigma-${'long-title-'.repeat(200)}`,
    ['x'.repeat(128), 'y'.repeat(128), 'z'.repeat(128), 'w'.repeat(128)],
    BASE,
  );
  assert.ok(key.length < 1024, `${key.length}`);
  assert.is(windowKey('sigma-a', ['alice'], BASE), 'sigma-a#2017-11-28T19:00:00.000Z#["alice"]');
});

Keys.run();

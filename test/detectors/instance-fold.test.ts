import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AggregateCollector } from '../../functions/analyze/aggregates.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import type { CorrelatingDetector } from '../../functions/core/correlation.ts';
import type { Detector } from '../../functions/core/detector.ts';
import { ec2InstanceCredentialsOffInstance } from '../../functions/detectors/ec2-instance-credentials-off-instance.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import {
  joinInto,
  mergeAggregates,
  observeRecord,
  type OffInstanceAggregate,
} from '../../functions/detectors/instance-aggregate.ts';
import { observeRecordInto } from '../../functions/detectors/instance-fold.ts';
import { generateFleet } from '../helpers/instance-fleet.ts';
import { ordinaryAccountDay } from '../helpers/ordinary-accounts.ts';
import { mulberry32, type Rng } from '../helpers/prng.ts';
import { anIamUser, anInstanceSession, aRecord } from '../helpers/records.ts';

// The off-instance detector's in-place fold (functions/detectors/instance-fold.ts) against its
// reference: observeRecord, then each observation joined into the work item's map.

type Joined = Map<string, OffInstanceAggregate>;

/** JSON with every object's keys sorted: equal aggregates, whatever order their keys were added in. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v instanceof Map
        ? Object.fromEntries([...v].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );

/** The reference: what Analyze did before the fold (observe, then set or join in place). */
function reference(records: readonly CloudTrailRecord[], objectKey = 'object'): Joined {
  const joined: Joined = new Map();
  for (const record of records) {
    for (const { key, aggregate } of observeRecord(record, objectKey) ?? []) {
      const known = joined.get(key);
      joined.set(key, known === undefined ? aggregate : joinInto(known, aggregate));
    }
  }
  return joined;
}

function folded(records: readonly CloudTrailRecord[], objectKey = 'object'): Joined {
  const joined: Joined = new Map();
  for (const record of records) observeRecordInto(record, objectKey, joined);
  return joined;
}

/** Work items joined as Correlate joins them. */
function across(parts: readonly Joined[]): Joined {
  const all: Joined = new Map();
  for (const part of parts)
    for (const [key, aggregate] of part) {
      const known = all.get(key);
      all.set(key, known === undefined ? aggregate : mergeAggregates(known, aggregate));
    }
  return all;
}

const ACCOUNT = '123456789012';
const INSTANCES = ['i-0a1b2c3d4e5f60789', 'i-0A1B2C3D4E5F60789', 'i-0f0e0d0c0b0a09080'];

/**
 * Instance calls shaped to reach every cap and tie: 30 sessions (24 kept), 14 public addresses
 * (8 kept per instance, 6 per session), 7 VPC endpoints (4 home markers kept), another account's
 * endpoint, people from 700 addresses (160 kept per evidence bucket), a few distinct times only
 * (same time, other eventIDs), and hostile fields: missing, of odd types, huge.
 */
function hostileCalls(rng: Rng, count: number): CloudTrailRecord[] {
  const times = Array.from({ length: 12 }, (_, i) => `2017-11-28T${String(8 + i).padStart(2, '0')}:00:00Z`);
  const sessions = Array.from(
    { length: 30 },
    (_, i) => `2017-11-28T${String(i % 24).padStart(2, '0')}:${i < 24 ? '00' : '30'}:00Z`,
  );
  sessions.push('constructor', 'toString');
  const publicAddress = () => rng.pick([`198.51.100.${rng.int(1, 8)}`, `203.0.113.${rng.int(1, 6)}`]);
  const records: CloudTrailRecord[] = [];
  for (let i = 0; i < count; i++) {
    const instance = rng.pick(INSTANCES);
    const session = anInstanceSession(instance);
    session.sessionContext = {
      ...session.sessionContext,
      attributes: rng.chance(0.05) ? undefined : { creationDate: rng.pick(sessions), mfaAuthenticated: 'false' },
    };
    if (rng.chance(0.1)) session.accessKeyId = `ASIA${rng.id(16)}`;
    const person = rng.chance(0.4);
    const identity = person
      ? anIamUser({ arn: `arn:aws:iam::${ACCOUNT}:user/${rng.pick(['alice', 'bob', 'carol'])}` })
      : session;
    let source: unknown = person ? `192.0.2.${rng.int(0, 255)}` : publicAddress();
    if (person && rng.chance(0.5)) source = `198.51.${rng.int(100, 102)}.${rng.int(0, 255)}`;
    const overrides: Record<string, unknown> = {
      userIdentity: identity,
      eventTime: rng.pick(times),
      eventID: `e-${rng.int(0, 40)}`,
      userAgent: rng.pick([
        'aws-cli/2.15.0 Python/3.11',
        'Boto3/1.34 md/Botocore#1.34',
        'aws-sdk-go/1.44.0',
        'terraform/1.9',
        '',
      ]),
    };
    const shape = rng.int(0, 19);
    if (shape === 0) overrides.vpcEndpointId = `vpce-0${rng.int(0, 6)}`;
    if (shape === 1) Object.assign(overrides, { vpcEndpointId: 'vpce-0ff', vpcEndpointAccountId: '210987654321' });
    if (shape === 2) source = `10.0.0.${rng.int(1, 9)}`;
    if (shape === 3) overrides.eventID = undefined;
    if (shape === 4) overrides.eventID = 42;
    if (shape === 5) overrides.eventID = `huge-${'x'.repeat(5000)}-${rng.int(0, 3)}`;
    if (shape === 6) overrides.userAgent = `${'A'.repeat(100_000)}/1`;
    if (shape === 7) overrides.userAgent = { odd: true };
    if (shape === 8) overrides.eventTime = rng.pick([1511895600000, '2017-11-28 08:00:00', undefined]);
    if (shape === 9) source = rng.pick(['AWS Internal', 'ec2.amazonaws.com', 'not-an-address', 7, '2001:db8::1']);
    if (shape === 10) overrides.requestParameters = { big: 'y'.repeat(20_000) };
    if (shape === 11) overrides.eventTime = rng.pick(times).replace(':00Z', ':00.123Z');
    overrides.sourceIPAddress = source;
    records.push(aRecord(overrides as Partial<CloudTrailRecord>));
  }
  // A few that are not records at all.
  records.push(null as unknown as CloudTrailRecord, [] as unknown as CloudTrailRecord, {} as CloudTrailRecord);
  // The first calls of many addresses (same time), so a later copy must replace an earlier one.
  for (let i = 0; i < 40; i++)
    records.push(
      aRecord({
        userIdentity: anInstanceSession(INSTANCES[0]),
        eventTime: times[0],
        eventID: `a-${i}`,
        sourceIPAddress: publicAddress(),
      }),
    );
  // People from ever smaller addresses: once a bucket is full, each new one displaces a kept one.
  for (let i = 255; i >= 0; i--)
    records.push(
      aRecord({ eventTime: times[1], sourceIPAddress: `203.0.113.${i}` }),
      aRecord({ eventTime: times[2], sourceIPAddress: `198.51.100.${i}` }),
    );
  return records;
}

/** Splits `records` into work items at random points. */
function batches<T>(rng: Rng, records: readonly T[], parts: number): T[][] {
  const cuts = Array.from({ length: parts - 1 }, () => rng.int(0, records.length)).sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const cut of [...cuts, records.length]) {
    out.push(records.slice(from, cut));
    from = cut;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
const Fold = suite('observeRecordInto');

Fold('joins hostile and capped records as observe and join do, whatever the order and the work items', () => {
  const rng = mulberry32(13);
  const records = hostileCalls(rng, 4000);
  const joined = reference(records);
  const whole = canonical(joined);
  // Every cap is reached: the test would not see a cap applied differently otherwise.
  const instance = [...joined.values()].find((a) => a.t === 'i' && Object.keys(a.s).length === 24);
  assert.ok(instance && instance.t === 'i' && Object.keys(instance.a).length === 8);
  assert.ok([...joined.values()].some((a) => a.t === 'e' && Object.keys(a.a).length === 160));
  assert.is(canonical(folded(records)), whole);
  for (let round = 0; round < 4; round++) {
    const shuffled = rng.shuffle(records);
    assert.is(canonical(folded(shuffled)), canonical(reference(shuffled)), `round ${round}`);
    const items = batches(rng, shuffled, rng.int(2, 9));
    const parts = items.map((item, i) => folded(item, `object-${i}`));
    for (const [i, item] of items.entries()) assert.is(canonical(parts[i]), canonical(reference(item, `object-${i}`)));
    // And joined across work items as Correlate joins them. (Not always as one work item: an
    // address cut by a full cap and taken back by an earlier call loses its later details.)
    assert.is(canonical(across(parts)), canonical(across(items.map((item, i) => reference(item, `object-${i}`)))));
  }
});

Fold('makes a record copy only when the record becomes its address entry earliest call', () => {
  const early = aRecord({
    userIdentity: anInstanceSession(),
    sourceIPAddress: '203.0.113.5',
    eventTime: '2017-11-28T10:00:00Z',
    eventID: 'b',
  });
  const tie = { ...early, eventID: 'a', eventName: 'GetCallerIdentity' };
  const later = { ...early, eventTime: '2017-11-28T11:00:00Z', eventID: 'c' };
  const joined: Joined = new Map();
  observeRecordInto(early, 'o1', joined);
  const entry = () => {
    const aggregate = [...joined.values()].find((a) => a.t === 'i');
    return aggregate?.t === 'i' ? aggregate.a['203.0.113.5']! : undefined;
  };
  const first = entry()!.x;
  observeRecordInto(later, 'o2', joined);
  assert.is(entry()!.x, first);
  observeRecordInto(tie, 'o3', joined);
  assert.equal([entry()!.x!.id, entry()!.x!.k, entry()!.x!.r.eventName], ['a', 'o3', 'GetCallerIdentity']);
  // And the whole map as the reference builds it, each record with its own object key.
  const expected: Joined = new Map();
  for (const [record, objectKey] of [
    [early, 'o1'],
    [later, 'o2'],
    [tie, 'o3'],
  ] as const)
    for (const { key, aggregate } of observeRecord(record, objectKey) ?? []) {
      const known = expected.get(key);
      expected.set(key, known === undefined ? aggregate : joinInto(known, aggregate));
    }
  assert.is(canonical(joined), canonical(expected));
});

Fold.run();

// ------------------------------------------------------------------------------------------------
const Collector = suite('AggregateCollector with and without observeInto');

/** The built-in detectors, each correlating one with its observeInto removed. */
const withoutFold = (detectors: readonly Detector[]): Detector[] =>
  detectors.map((d) => (d.kind === 'correlating' ? ({ ...d, observeInto: undefined } as CorrelatingDetector) : d));

function drained(detectors: readonly Detector[], items: readonly CloudTrailRecord[][]): string[] {
  return items.map((item, i) => {
    const collector = new AggregateCollector(detectors);
    // Analyze gives the collector decoded records: objects (the hostile values are tested above).
    for (const record of item) if (record && typeof record === 'object') collector.observe(record, `object-${i}`);
    assert.equal([...collector.errors], []);
    return canonical(collector.drain());
  });
}

Collector('drains the same aggregates for a fleet, an ordinary day and hostile calls, in any split', () => {
  const rng = mulberry32(29);
  const fleet = generateFleet({ seed: 5, hours: 6, instances: 12, thefts: 3 });
  const records = [
    ...[...fleet.trail.objects.values()].flatMap(({ body }) => JSON.parse(gunzipSync(body).toString()).Records),
    ...ordinaryAccountDay(3).slice(0, 6000),
    ...hostileCalls(rng, 1500),
  ];
  assert.ok(BUILT_IN_DETECTORS.includes(ec2InstanceCredentialsOffInstance));
  const plain = withoutFold(BUILT_IN_DETECTORS);
  for (let round = 0; round < 3; round++) {
    const items = batches(rng, rng.shuffle(records), 1 + round * 3);
    const expected = drained(plain, items);
    // Not vacuous: the off-instance detector's aggregates are in there.
    assert.ok(expected.some((json) => json.includes('instance|')));
    assert.equal(drained(BUILT_IN_DETECTORS, items), expected);
  }
});

Collector.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import {
  joinInto,
  mergeAggregates,
  observeRecord,
  type OffInstanceAggregate,
} from '../../functions/detectors/instance-aggregate.ts';
import { observeRecordInto } from '../../functions/detectors/instance-fold.ts';
import { hostileInstanceCalls } from '../helpers/instance-calls.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { canonical, randomSplits } from '../helpers/canonical.ts';
import { anInstanceSession, aRecord } from '../helpers/records.ts';

// The off-instance detector's in-place fold (functions/detectors/instance-fold.ts) against its
// reference: observeRecord, then each observation joined into the work item's map.

type Joined = Map<string, OffInstanceAggregate>;

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

// ------------------------------------------------------------------------------------------------
const Fold = suite('observeRecordInto');

Fold('joins hostile and capped records as observe and join do, whatever the order and the work items', () => {
  const rng = mulberry32(13);
  const records = hostileInstanceCalls(rng, 4000);
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
    const items = randomSplits(rng, shuffled, rng.int(2, 9));
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

Fold('two calls alike in time and eventID (or with none) keep one and the same kept call in either order', () => {
  const base = aRecord({
    userIdentity: anInstanceSession(),
    sourceIPAddress: '203.0.113.6',
    eventTime: '2017-11-28T10:00:00Z',
  });
  const calls: [typeof base, string][] = [
    [{ ...base, eventID: undefined, eventName: 'ListBuckets' }, 'o2'],
    [{ ...base, eventID: undefined, eventName: 'GetObject' }, 'o2'],
    [{ ...base, eventID: undefined, eventName: 'PutObject' }, 'o1'],
    [{ ...base, eventID: 'same', eventName: 'A' }, 'o1'],
    [{ ...base, eventID: 'same', eventName: 'B' }, 'o1'],
  ];
  const kept = (order: [typeof base, string][], fold: boolean) => {
    const joined: Joined = new Map();
    for (const [record, key] of order) {
      if (fold) observeRecordInto(record, key, joined);
      else
        for (const { key: k, aggregate } of observeRecord(record, key) ?? []) {
          const known = joined.get(k);
          joined.set(k, known === undefined ? aggregate : joinInto(known, aggregate));
        }
    }
    const aggregate = [...joined.values()].find((a) => a.t === 'i');
    const x = aggregate?.t === 'i' ? aggregate.a['203.0.113.6']!.x! : undefined;
    return [x?.id, x?.k, x?.r.eventName];
  };
  // Without an eventID, the smallest object key, then the content, decides: PutObject of o1.
  for (const fold of [true, false]) {
    assert.equal(kept(calls, fold), ['', 'o1', 'PutObject']);
    assert.equal(kept([...calls].reverse(), fold), ['', 'o1', 'PutObject']);
    assert.equal(kept([calls[3]!, calls[4]!], fold), kept([calls[4]!, calls[3]!], fold));
  }
});

Fold.run();

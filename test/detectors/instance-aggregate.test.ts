import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  joinInto,
  mergeAggregates,
  observeRecord,
  type InstanceAggregate,
} from '../../functions/detectors/instance-aggregate.ts';
import { INSTANCE, THIEF, instanceCalls, sessionOf } from '../helpers/instance-calls.ts';

// The off-instance detector's aggregate and its join (functions/detectors/instance-aggregate.ts).

const { call } = instanceCalls();

// ------------------------------------------------------------------------------------------------
const Merge = suite('mergeAggregates');

Merge('is a bounded semilattice join: associative, commutative, idempotent', () => {
  const sessions = Array.from({ length: 40 }, (_, i) =>
    sessionOf(INSTANCE, `2017-11-28T${String(i % 24).padStart(2, '0')}:${i < 24 ? '00' : '30'}:00Z`),
  );
  const records = sessions.flatMap((session, i) => [
    call(`198.51.100.${i}`, {}, session),
    call('10.0.0.1', { vpcEndpointId: `vpce-0${i % 7}` }, session),
    call(THIEF, {}, session),
  ]);
  const parts = records.map(
    (record) =>
      observeRecord(record, `object-${record.eventID}`)!.find((o) => o.key.startsWith('instance|'))!.aggregate,
  );
  const fold = (list: typeof parts) => list.reduce((a, b) => mergeAggregates(a, b));
  const canonical = (value: unknown) =>
    JSON.stringify(value, (_, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
    );
  const forward = canonical(fold(parts));
  assert.is(canonical(fold([...parts].reverse())), forward);
  // Any grouping (work items of 7), any order of groups, and repeats (a work item stored twice).
  const groups: (typeof parts)[] = [];
  for (let i = 0; i < parts.length; i += 7) groups.push(parts.slice(i, i + 7));
  const grouped = groups.map(fold);
  assert.is(canonical(fold([...grouped.slice(3), ...grouped, ...grouped.slice(0, 3)].reverse())), forward);
  assert.is(canonical(mergeAggregates(fold(parts), fold(parts))), forward);
  // Analyze's in-place fast path gives the same join.
  const inPlace = parts
    .slice(1)
    .reduce((into, part) => joinInto(into, structuredClone(part)), structuredClone(parts[0]!));
  assert.is(canonical(inPlace), forward);
  const joined = fold(parts) as InstanceAggregate;
  assert.is(Object.keys(joined.s).length, 24);
  assert.ok(Buffer.byteLength(JSON.stringify(joined)) < 64 * 1024);
});

Merge('joins a session whose creationDate reads like a property of every object (constructor)', () => {
  // Such a creationDate passes the session's pattern; the join once read the inherited
  // Object.prototype.constructor as a known session and threw, in either argument order but one.
  const ordinary = observeRecord(call(THIEF, {}, sessionOf(INSTANCE)), 'object-1')![0]!.aggregate;
  const odd = observeRecord(call(THIEF, {}, sessionOf(INSTANCE, 'constructor')), 'object-2')![0]!.aggregate;
  const canonical = (value: unknown) =>
    JSON.stringify(value, (_, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
    );
  const joined = mergeAggregates(ordinary, odd) as InstanceAggregate;
  assert.equal(Object.keys(joined.s).sort(), ['2017-11-28T18:00:00Z', 'constructor']);
  assert.is(canonical(mergeAggregates(odd, ordinary)), canonical(joined));
});

Merge.run();

import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import {
  addressEntry,
  byKey,
  cap,
  earliestEntry,
  earlierCall,
  earliestSpan,
  eventIdOf,
  evidenceKey,
  LIMITS,
  newestKey,
  sample,
  TIME,
  type InstanceAggregate,
  type OffInstanceAggregate,
  type SessionEntry,
  type Span,
} from './instance-aggregate.ts';
import { callOrigin, instanceSessionOf, personOf, userAgentFamily } from './instance-sessions.ts';

/*
 * Analyze's per-record path of the off-instance detector (`CorrelatingDetector.observeInto`): one
 * record joined into the work item's aggregates in place, leaving them as `observeRecord` and
 * `joinInto` would (instance-aggregate.ts holds the aggregate and its join), without building the
 * record's own aggregate first. What the record adds to an entry it already has (a span, an
 * address's times) changes that entry; only what is new is allocated, and the record's bounded
 * copy is made only when it becomes the earliest call of its address.
 *
 * Caps apply as the join applies them: when a key is added, the map keeps its first entries in
 * the cap's order. A new entry that the cap would drop at once (the map full and every entry
 * before it) is not built at all: the map keeps the same entries, in another key order at most.
 */

type Before<V> = (key: string, value: V) => boolean;

/** Joins what `record` tells into `joined`, as `observeRecord` and then `joinInto` per observation would. */
export function observeRecordInto(
  record: CloudTrailRecord,
  objectKey: string,
  joined: Map<string, OffInstanceAggregate>,
): void {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return;
  const time = record.eventTime;
  if (typeof time !== 'string' || !TIME.test(time)) return;
  const person = personOf(record);
  if (person) {
    const origin = callOrigin(record, person.account);
    if (origin?.kind !== 'public' || origin.foreign) return;
    const key = evidenceKey(person.account, origin.address);
    foldEvidence(joined, key, origin.address, 'p', person.arn.slice(0, 128), 1);
    return;
  }
  const session = instanceSessionOf(record);
  if (!session) return;
  const origin = callOrigin(record, session.account);
  if (!origin) return;
  const known = joined.get(session.key);
  // Another kind under an instance key cannot happen; the join would keep the record's aggregate.
  let into: InstanceAggregate;
  if (known === undefined || known.t !== 'i') {
    into = { t: 'i', id: session.instanceId, s: {}, a: {} };
    joined.set(session.key, into);
  } else into = known;
  if (session.instanceId < into.id) into.id = session.instanceId;
  const home = origin.kind === 'home';
  const place = home ? origin.marker : origin.address;
  const creationDate = session.creationDate;
  const entry = own(into.s, creationDate);
  if (entry === undefined) {
    if (!cutAtOnce(into.s, LIMITS.sessions, (key) => key > creationDate)) {
      const span: Span = [time, time, 1];
      into.s[creationDate] = home ? { h: { [place]: span }, p: {} } : { h: {}, p: { [place]: span } };
      into.s = cap(into.s, LIMITS.sessions, newestKey);
    }
  } else foldSpan(entry, home ? 'h' : 'p', place, time);
  if (home) return;
  foldAddress(into, place, time, record, objectKey);
  if (!origin.foreign) {
    const ref = `${session.roleArn}|${session.instanceId.toLowerCase()}`;
    foldEvidence(joined, evidenceKey(session.account, place), place, 'i', ref, LIMITS.instancesPerAddress);
  }
}

/** The session's span of `place` (a home marker or a public address) joined with one call at `time`. */
function foldSpan(entry: SessionEntry, side: 'h' | 'p', place: string, time: string): void {
  const map = entry[side];
  const span = own(map, place);
  if (span !== undefined) {
    if (time < span[0]) span[0] = time;
    if (time > span[1]) span[1] = time;
    if (1 > span[2]) span[2] = 1;
    return;
  }
  if (side === 'h') {
    if (cutAtOnce(map, LIMITS.homeMarkers, (key) => key < place)) return;
    map[place] = [time, time, 1];
    entry.h = cap(map, LIMITS.homeMarkers, byKey);
    return;
  }
  if (cutAtOnce(map, LIMITS.sessionAddresses, (key, s) => s[0] < time || (s[0] === time && key < place))) return;
  map[place] = [time, time, 1];
  entry.p = cap(map, LIMITS.sessionAddresses, earliestSpan);
}

/** The instance's entry of a public address joined with one call from it. */
function foldAddress(
  into: InstanceAggregate,
  address: string,
  time: string,
  record: CloudTrailRecord,
  objectKey: string,
): void {
  const eventID = eventIdOf(record);
  const family = userAgentFamily(record.userAgent);
  const entry = own(into.a, address);
  if (entry === undefined) {
    if (cutAtOnce(into.a, LIMITS.addresses, (key, e) => e.f < time || (e.f === time && key < address))) return;
    into.a[address] = addressEntry(record, objectKey, time, eventID, family);
    into.a = cap(into.a, LIMITS.addresses, earliestEntry);
    return;
  }
  if (time < entry.f) entry.f = time;
  if (time > entry.l) entry.l = time;
  if (1 > entry.n) entry.n = 1;
  if (family) entry.ua = smallestWith(entry.ua, family, LIMITS.userAgents);
  if (eventID) entry.ids = smallestWith(entry.ids, eventID, LIMITS.eventIds);
  const x = entry.x;
  // The only copy of the record, made when it may be the address's earliest call (by time,
  // eventID, object key, then content: see earlierCall).
  if (!x || time < x.t || (time === x.t && (eventID < x.id || (eventID === x.id && objectKey <= x.k)))) {
    const call = { t: time, id: eventID, k: objectKey, r: sample(record) };
    if (!x || earlierCall(call, x)) entry.x = call;
  }
}

/** The evidence of an address (`i`: an instance seen there, `p`: a person) joined with one value. */
function foldEvidence(
  joined: Map<string, OffInstanceAggregate>,
  key: string,
  address: string,
  field: 'i' | 'p',
  value: string,
  max: number,
): void {
  const known = joined.get(key);
  if (known === undefined) {
    joined.set(key, { t: 'e', a: { [address]: { [field]: [value] } } });
    return;
  }
  // Another kind under an evidence key cannot happen; the join would keep the instance aggregate.
  if (known.t !== 'e') return;
  const entry = own(known.a, address);
  if (entry === undefined) {
    if (cutAtOnce(known.a, LIMITS.evidenceAddresses, (other) => other < address)) return;
    known.a[address] = { [field]: [value] };
    known.a = cap(known.a, LIMITS.evidenceAddresses, byKey);
    return;
  }
  entry[field] = smallestWith(entry[field] ?? [], value, max);
}

/** The map's own entry (never one of Object.prototype's: a creationDate may read `constructor`). */
function own<V>(map: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * Whether `cap` would drop a new entry as soon as it is added: the map holds exactly `max`
 * entries and every one of them comes before the new one in the cap's order.
 */
function cutAtOnce<V>(map: Record<string, V>, max: number, before: Before<V>): boolean {
  let count = 0;
  for (const key in map) {
    if (!before(key, map[key]!)) return false;
    count++;
  }
  return count === max;
}

/** `smallest(list, [value], max)` of instance-aggregate.ts, without the one-value array. */
function smallestWith(list: readonly string[], value: string, max: number): string[] {
  if (list.includes(value)) return list as string[];
  if (list.length >= max && value > list[list.length - 1]!) return list as string[];
  return [...new Set([...list, value])].sort().slice(0, max);
}

import { recordCopy } from '../core/bounded.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { bucketOf, type Observation } from '../core/correlation.ts';
import { callOrigin, instanceSessionOf, personOf, userAgentFamily } from './instance-sessions.ts';

/*
 * The off-instance detector's aggregates and their join. Two kinds of key:
 *
 *   instance|<account>|<role ARN>|<instance id>   (judged)
 *     per session (creationDate): where it called from (home markers: VPC endpoints, private
 *     addresses; public addresses) with first and last eventTime and a call count; per public
 *     address over all sessions: times, count, user-agent families, a few eventIDs and a copy of
 *     its earliest record with its object key (what a finding shows).
 *   addresses|<account>|<bucket>                  (evidence, read through lookup)
 *     per public address: instances that called from it (to tell the account's egress), and a
 *     person whose long-term (AKIA) key called from it.
 *
 * One key per instance, not per session: credentials rotate every hour or so, and a key per
 * session would cost a state write per session per work item (see docs/architecture.md).
 *
 * Every join is a semilattice join: unions of maps with per-entry min/max, and caps that keep
 * the entries first in a fixed order (earliest, newest, smallest), so the joined aggregate is the
 * same whatever the order, grouping or repetition of work items, with one exception: a cap ranked
 * by first time (a session's public addresses, 6; an instance's, 8) may drop an address that an
 * earlier call brings back later; it then keeps its first time and earliest call (both exact)
 * but only the last time, user agents and eventIDs joined since. That takes more public addresses
 * than the cap for one instance. The decision reads none of those past the cap (it compares user
 * agents only while the instance has fewer addresses than the cap), so verdicts stay the same.
 * The counts (`n`, a span's third element) are always 1: nothing reads them.
 */

/** [first eventTime, last eventTime, calls (lower bound)]. */
export type Span = [string, string, number];

export interface SessionEntry {
  /** Home markers (`vpce:<id>`, `private`) → span. */
  h: Record<string, Span>;
  /** Public addresses (and other accounts' endpoints) → span. */
  p: Record<string, Span>;
}

export interface AddressEntry {
  f: string;
  l: string;
  n: number;
  /** User-agent families, the smallest few. */
  ua: string[];
  /** EventIDs, the smallest few. */
  ids: string[];
  /** The earliest call from the address (by eventTime, then eventID) and its log object. */
  x?: { t: string; id: string; k: string; r: CloudTrailRecord };
}

export interface InstanceAggregate {
  t: 'i';
  /** The instance id as spelled (the smallest spelling seen). */
  id: string;
  /** creationDate → where the session called from; the newest sessions are kept. */
  s: Record<string, SessionEntry>;
  /** Public address → detail over all sessions; the earliest addresses are kept. */
  a: Record<string, AddressEntry>;
}

export interface EvidenceAggregate {
  t: 'e';
  /** Address → instances seen there (`<role ARN>|<instance id>`, smallest few) and a person. */
  a: Record<string, { i?: string[]; p?: string[] }>;
}

export type OffInstanceAggregate = InstanceAggregate | EvidenceAggregate;

export const LIMITS = {
  sessions: 24,
  homeMarkers: 4,
  sessionAddresses: 6,
  addresses: 8,
  userAgents: 3,
  eventIds: 3,
  /** Instances kept per address: the egress threshold plus slack for verification. */
  instancesPerAddress: 6,
  /** Addresses kept per evidence bucket (the smallest in byte order). */
  evidenceAddresses: 160,
  /** Evidence buckets per account. */
  evidenceBuckets: 4,
} as const;

export const TIME = /^\d{4}-\d{2}-\d{2}T[0-9:.]{2,20}Z$/;

/** The evidence key of an address in an account. */
export function evidenceKey(account: string, address: string): string {
  return `addresses|${account}|${bucketOf(address, LIMITS.evidenceBuckets)}`;
}

/** Instance packs per account: an account's instances are stored in this many items per work item. */
export const INSTANCE_PACKS = 8;

/**
 * The pack of a key (see `CorrelatingDetector.pack`): `<account>#i<n>` for an instance (its id's
 * bucket), `<account>#e` for the account's evidence, so a work item writes a few items per
 * account instead of one per instance.
 */
export function packOf(key: string): string {
  const [kind, account = '', ...rest] = key.split('|');
  if (kind !== 'instance') return `${account}#e`;
  return `${account}#i${bucketOf(rest[rest.length - 1] ?? '', INSTANCE_PACKS)}`;
}

/** What one record tells: its instance's aggregate and its address's evidence, or a person's address. */
export function observeRecord(
  record: CloudTrailRecord,
  objectKey: string,
): Observation<OffInstanceAggregate>[] | undefined {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const time = record.eventTime;
  if (typeof time !== 'string' || !TIME.test(time)) return undefined;
  const person = personOf(record);
  if (person) {
    const origin = callOrigin(record, person.account);
    if (origin?.kind !== 'public' || origin.foreign) return undefined;
    return [
      {
        key: evidenceKey(person.account, origin.address),
        aggregate: { t: 'e', a: { [origin.address]: { p: [person.arn.slice(0, 128)] } } },
      },
    ];
  }
  const session = instanceSessionOf(record);
  if (!session) return undefined;
  const origin = callOrigin(record, session.account);
  if (!origin) return undefined;
  const span: Span = [time, time, 1];
  if (origin.kind === 'home') {
    const aggregate: InstanceAggregate = {
      t: 'i',
      id: session.instanceId,
      s: { [session.creationDate]: { h: { [origin.marker]: span }, p: {} } },
      a: {},
    };
    return [{ key: session.key, aggregate }];
  }
  const entry = addressEntry(record, objectKey, time, eventIdOf(record), userAgentFamily(record.userAgent));
  const aggregate: InstanceAggregate = {
    t: 'i',
    id: session.instanceId,
    s: { [session.creationDate]: { h: {}, p: { [origin.address]: span } } },
    a: { [origin.address]: entry },
  };
  const observations: Observation<OffInstanceAggregate>[] = [{ key: session.key, aggregate }];
  if (!origin.foreign) {
    const ref = `${session.roleArn}|${session.instanceId.toLowerCase()}`;
    observations.push({
      key: evidenceKey(session.account, origin.address),
      aggregate: { t: 'e', a: { [origin.address]: { i: [ref] } } },
    });
  }
  return observations;
}

/** A record's eventID as an address entry keeps it (cut to 64 characters), or ''. */
export function eventIdOf(record: CloudTrailRecord): string {
  return typeof record.eventID === 'string' ? record.eventID.slice(0, 64) : '';
}

/** The address entry of one call: its time, agent family, eventID and bounded copy. */
export function addressEntry(
  record: CloudTrailRecord,
  objectKey: string,
  time: string,
  eventID: string,
  family: string | undefined,
): AddressEntry {
  return {
    f: time,
    l: time,
    n: 1,
    ua: family ? [family] : [],
    ids: eventID ? [eventID] : [],
    x: { t: time, id: eventID, k: objectKey, r: sample(record) },
  };
}

/** The join of two aggregates of the same key (see the comment at the top); neither is changed. */
export function mergeAggregates(a: OffInstanceAggregate, b: OffInstanceAggregate): OffInstanceAggregate {
  if (a === b) return a;
  return joinInto(structuredClone(a), b);
}

/**
 * Joins `b` into `into`, changing and returning `into` (Analyze's per-record fast path; `into` is
 * its own). Entries of `b` may be taken over by reference: `b` must not be changed afterwards.
 */
export function joinInto(into: OffInstanceAggregate, b: OffInstanceAggregate): OffInstanceAggregate {
  if (into === b) return into;
  if (into.t === 'e' && b.t === 'e') {
    if (joinMapInto(into.a, b.a, joinEvidenceInto)) into.a = cap(into.a, LIMITS.evidenceAddresses, byKey);
    return into;
  }
  if (into.t === 'i' && b.t === 'i') {
    if (b.id < into.id) into.id = b.id;
    if (joinMapInto(into.s, b.s, joinSessionInto)) into.s = cap(into.s, LIMITS.sessions, newestKey);
    if (joinMapInto(into.a, b.a, joinAddressInto)) into.a = cap(into.a, LIMITS.addresses, earliestEntry);
    return into;
  }
  // Two kinds under one key cannot happen with this detector's keys; keep one, deterministically.
  return into.t === 'i' ? into : b;
}

/** Joins each entry of `b` into `into`; true when a key was added (the caller then applies its cap). */
function joinMapInto<V>(into: Record<string, V>, b: Record<string, V>, join: (x: V, y: V) => V): boolean {
  let added = false;
  for (const key in b) {
    const value = b[key]!;
    // Own entries only: a session's creationDate may read `constructor`, which `into` inherits.
    const known = Object.hasOwn(into, key) ? into[key] : undefined;
    if (known === undefined) {
      into[key] = value;
      added = true;
    } else into[key] = join(known, value);
  }
  return added;
}

function joinSessionInto(into: SessionEntry, b: SessionEntry): SessionEntry {
  if (joinMapInto(into.h, b.h, joinSpanInto)) into.h = cap(into.h, LIMITS.homeMarkers, byKey);
  if (joinMapInto(into.p, b.p, joinSpanInto)) into.p = cap(into.p, LIMITS.sessionAddresses, earliestSpan);
  return into;
}

function joinSpanInto(into: Span, b: Span): Span {
  if (b[0] < into[0]) into[0] = b[0];
  if (b[1] > into[1]) into[1] = b[1];
  if (b[2] > into[2]) into[2] = b[2];
  return into;
}

function joinAddressInto(into: AddressEntry, b: AddressEntry): AddressEntry {
  if (b.f < into.f) into.f = b.f;
  if (b.l > into.l) into.l = b.l;
  if (b.n > into.n) into.n = b.n;
  into.ua = smallest(into.ua, b.ua, LIMITS.userAgents);
  into.ids = smallest(into.ids, b.ids, LIMITS.eventIds);
  if (b.x && (!into.x || earlierCall(b.x, into.x))) into.x = b.x;
  return into;
}

function joinEvidenceInto(
  into: { i?: string[]; p?: string[] },
  b: { i?: string[]; p?: string[] },
): { i?: string[]; p?: string[] } {
  if (b.i) into.i = smallest(into.i ?? [], b.i, LIMITS.instancesPerAddress);
  if (b.p) into.p = smallest(into.p ?? [], b.p, 1);
  return into;
}

/**
 * Whether call `a` comes before `b` as an address's kept call: by eventTime, eventID, object key,
 * then content, so two calls alike in all but content (a duplicate eventID, or none) still keep
 * one and the same whatever the order.
 */
export function earlierCall(a: NonNullable<AddressEntry['x']>, b: NonNullable<AddressEntry['x']>): boolean {
  if (a.t !== b.t) return a.t < b.t;
  if (a.id !== b.id) return a.id < b.id;
  if (a.k !== b.k) return a.k < b.k;
  return JSON.stringify(a.r) < JSON.stringify(b.r);
}

/** Keeps the first `max` entries in the given order (a fixed order over keys and joined values). */
export function cap<V>(
  map: Record<string, V>,
  max: number,
  order: (x: [string, V], y: [string, V]) => number,
): Record<string, V> {
  const entries = Object.entries(map);
  if (entries.length <= max) return map;
  return Object.fromEntries(entries.sort(order).slice(0, max));
}

export const byKey = (x: [string, unknown], y: [string, unknown]) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);
export const newestKey = (x: [string, unknown], y: [string, unknown]) => -byKey(x, y);
export const earliestSpan = (x: [string, Span], y: [string, Span]) =>
  x[1][0] < y[1][0] ? -1 : x[1][0] > y[1][0] ? 1 : byKey(x, y);
export const earliestEntry = (x: [string, AddressEntry], y: [string, AddressEntry]) =>
  x[1].f < y[1].f ? -1 : x[1].f > y[1].f ? 1 : byKey(x, y);

export function smallest(a: readonly string[], b: readonly string[], max: number): string[] {
  // The common case (a record adds what the aggregate holds already) allocates nothing.
  if (b.every((x) => a.includes(x))) return a as string[];
  // One new value larger than every kept one, with the list full: nothing changes either.
  if (b.length === 1 && a.length >= max && b[0]! > a[a.length - 1]!) return a as string[];
  return [...new Set([...a, ...b])].sort().slice(0, max);
}

/**
 * The record as a finding shows it: its identity and call fields, every string cut to 160 bytes,
 * without request and response (bounded whatever the record, without serialising it).
 */
export function sample(record: CloudTrailRecord): CloudTrailRecord {
  return recordCopy(record, { fieldBytes: 160 });
}

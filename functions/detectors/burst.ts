import { isFailedCall, principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import type { CorrelatingDetector, Observation, Verdict } from '../core/correlation.ts';
import { asObject, lowerSeverity, type EventsBySource, type Json } from './lib.ts';
import type { DetectorMetadata } from './types.ts';

/*
 * Burst detectors: one call is normal, many distinct targets by one principal in a short window
 * is the signal (secrets read in bulk, sessions opened on many instances, enumeration). They use
 * the correlation contract: `observe` turns a record into a per-window aggregate, `merge` joins
 * aggregates (a semilattice join), `judge` compares the joined aggregate with the threshold.
 *
 * Key: `<principal>#<account>#<window start>`, windows tumbling and aligned to the epoch.
 * Aggregate: for each distinct item its earliest sighting, and of those only the `threshold + 1`
 * earliest, in one total order; plus a slim copy of the window's earliest record for the finding.
 * Keeping per item the minimum and then the k smallest minima is a join: whatever the order or
 * grouping of the records, the joined aggregate is the same, and it never grows past k entries.
 */

/** One sighting of an item: [eventTime, eventID, item, 1 when the call failed else 0]. */
export type Sighting = [string, string, string, 0 | 1];

/** A burst key's aggregate; see the comment at the top of this file. */
export interface BurstAggregate {
  sightings: Sighting[];
  first: { record: CloudTrailRecord; objectKey: string };
}

/** What a user tunes on a burst detector. */
export interface BurstOptions {
  /** Distinct items one principal must touch within one window for a finding. */
  threshold: number;
  /** Window length in minutes (tumbling windows aligned to the epoch). */
  windowMinutes: number;
}

/** How one burst detector reads records. */
export interface BurstSpec {
  meta: DetectorMetadata;
  events: EventsBySource;
  /** The items a record contributes (secret names, instance ids, API names); empty = not counted. */
  items(params: Json | undefined, record: CloudTrailRecord): readonly string[];
  /** Whose calls count; all principals when omitted. */
  counts?(record: CloudTrailRecord): boolean;
  /** Plural noun for the reason: `secrets`, `instances`. */
  noun: string;
  /** Verb phrase for the reason: `read`, `opened sessions on`. */
  verb: string;
}

// Bounds against attacker-shaped records: items read from one record, characters kept per item.
const MAX_ITEMS_READ = 1000;
const MAX_THRESHOLD = 100;
const MAX_ITEM_CHARS = 256;
const MAX_PRINCIPAL_CHARS = 512;
const MAX_FIELD_CHARS = 1024;
const MAX_NESTED_JSON = 4096;
const KEPT_FIELDS = [
  'eventVersion',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestID',
  'eventID',
  'eventType',
  'readOnly',
  'managementEvent',
  'eventCategory',
  'recipientAccountId',
] as const;

function cut(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** A copy of a record small enough for an aggregate: known fields, capped strings, small nested objects. */
export function slimRecord(record: CloudTrailRecord): CloudTrailRecord {
  const slim: Json = {};
  for (const field of KEPT_FIELDS) {
    const value = record[field];
    if (typeof value === 'string') slim[field] = cut(value, MAX_FIELD_CHARS);
    else if (typeof value === 'boolean') slim[field] = value;
  }
  for (const field of ['userIdentity', 'requestParameters'] as const) {
    const value = asObject(record[field]);
    if (!value) continue;
    const json = JSON.stringify(value);
    slim[field] = json.length <= MAX_NESTED_JSON ? (JSON.parse(json) as Json) : { truncated: true };
  }
  return slim as CloudTrailRecord;
}

function compare(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Per item the earliest sighting, then the `cap` earliest of those, sorted: the canonical form. */
export function canonicalSightings(sightings: Iterable<Sighting>, cap: number): Sighting[] {
  const best = new Map<string, Sighting>();
  for (const sighting of sightings) {
    const known = best.get(sighting[2]);
    if (!known || compare(sighting, known) < 0) best.set(sighting[2], sighting);
  }
  return [...best.values()].sort(compare).slice(0, cap);
}

function firstKey(first: BurstAggregate['first']): string[] {
  return [first.record.eventTime ?? '', first.record.eventID ?? '', first.objectKey, JSON.stringify(first.record)];
}

/** The earlier of two window records, by (eventTime, eventID, object key, content): a total order. */
export function earlierFirst(a: BurstAggregate['first'], b: BurstAggregate['first']): BurstAggregate['first'] {
  return compare(firstKey(a), firstKey(b)) <= 0 ? a : b;
}

/** Start of the tumbling window holding `eventTime`, as ISO text; undefined for an unreadable time. */
export function windowStart(eventTime: unknown, windowMinutes: number): string | undefined {
  if (typeof eventTime !== 'string') return undefined;
  const time = Date.parse(eventTime);
  if (!Number.isFinite(time)) return undefined;
  const width = windowMinutes * 60_000;
  return new Date(Math.floor(time / width) * width).toISOString();
}

/** The principal and account a record's key starts with. */
export function principalKey(record: CloudTrailRecord): string {
  const account = typeof record.recipientAccountId === 'string' ? record.recipientAccountId : '?';
  return `${cut(principalOf(record), MAX_PRINCIPAL_CHARS)}#${account}`;
}

/** Builds a burst detector from its spec and the user's options. */
export function burstDetector(spec: BurstSpec, options: BurstOptions): CorrelatingDetector<BurstAggregate> {
  const { threshold, windowMinutes } = options;
  // The aggregate keeps threshold + 1 sightings: the cap keeps it far below MAX_AGGREGATE_BYTES.
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > MAX_THRESHOLD) {
    throw new RangeError(`${spec.meta.id}: threshold must be an integer from 1 to ${MAX_THRESHOLD}`);
  }
  if (!(windowMinutes > 0)) throw new RangeError(`${spec.meta.id}: windowMinutes must be positive`);
  const cap = threshold + 1;
  const names = new Map(Object.entries(spec.events).map(([source, list]) => [source, new Set(list)]));
  return {
    kind: 'correlating',
    meta: spec.meta,
    events: spec.events,
    observe(record, objectKey): readonly Observation<BurstAggregate>[] | undefined {
      const wanted = typeof record.eventSource === 'string' ? names.get(record.eventSource) : undefined;
      if (!wanted?.has(record.eventName as string)) return undefined;
      if (spec.counts && !spec.counts(record)) return undefined;
      const start = windowStart(record.eventTime, windowMinutes);
      if (!start) return undefined;
      const items = spec.items(asObject(record.requestParameters), record).slice(0, MAX_ITEMS_READ);
      if (items.length === 0) return undefined;
      const time = record.eventTime as string;
      const id = typeof record.eventID === 'string' ? cut(record.eventID, MAX_ITEM_CHARS) : '';
      const failed = isFailedCall(record) ? 1 : 0;
      const sightings = canonicalSightings(
        items.map((item): Sighting => [time, id, cut(item, MAX_ITEM_CHARS), failed]),
        cap,
      );
      const aggregate: BurstAggregate = { sightings, first: { record: slimRecord(record), objectKey } };
      return [{ key: `${principalKey(record)}#${start}`, aggregate }];
    },
    merge(a, b) {
      return {
        sightings: canonicalSightings([...a.sightings, ...b.sightings], cap),
        first: earlierFirst(a.first, b.first),
      };
    },
    judge(key, aggregate): Verdict[] {
      const { sightings, first } = aggregate;
      if (sightings.length < threshold) return [];
      const start = key.slice(key.lastIndexOf('#') + 1);
      const end = new Date(Date.parse(start) + windowMinutes * 60_000).toISOString();
      const count = sightings.length >= cap ? `more than ${threshold}` : String(sightings.length);
      const shown = sightings
        .slice(0, 5)
        .map((sighting) => sighting[2])
        .join(', ');
      const reason = `${principalOf(first.record)} ${spec.verb} ${count} distinct ${spec.noun} between ${start} and ${end} (${shown}${sightings.length > 5 ? ', …' : ''}).`;
      // Every counted call failed: an attempt, one severity step lower.
      if (sightings.every((sighting) => sighting[3] === 1)) {
        const match = {
          severity: lowerSeverity(spec.meta.severity),
          title: `${spec.meta.title} (failed attempts)`,
          reason: reason.replace(/\.$/, ', every call failed.'),
        };
        return [{ subject: start, record: first.record, objectKey: first.objectKey, match }];
      }
      return [{ subject: start, record: first.record, objectKey: first.objectKey, match: { reason } }];
    },
  };
}

/** Strings of an array field, or the field itself when it is one string. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  if (!Array.isArray(value)) return [];
  return value.slice(0, MAX_ITEMS_READ).filter((entry): entry is string => typeof entry === 'string' && entry !== '');
}

/** Whether the caller is an EC2 instance role session (assumed-role ARN ending in an instance id). */
export function isInstanceSession(record: CloudTrailRecord): boolean {
  const arn = record.userIdentity?.arn;
  return record.userIdentity?.type === 'AssumedRole' && typeof arn === 'string' && /\/i-[0-9a-f]{8,17}$/.test(arn);
}

import { compactText } from '../core/bounded.ts';
import { principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import { bucketOf, MAX_AGGREGATE_BYTES } from '../core/correlation.ts';
import { latestOf } from './burst-span.ts';
import type { EventsBySource, Json } from './lib.ts';
import type { DetectorMetadata } from './types.ts';

/*
 * The data of a burst detector (burst.ts): what its aggregate holds, the bounds on it, and the
 * join of its parts. The design is described at the top of burst.ts.
 */

/**
 * One item of a window: [earliest eventTime (ISO, milliseconds), item, 1 when that call failed
 * else 0, latest eventTime less the earliest in ms (kept only while the window is under its cap)].
 */
export type Sighting = [string, string, 0 | 1, number?];

/**
 * A window's earliest call, by these fields in order: [eventTime, eventID, object key, index of
 * its event in the detector's event list, sourceIPAddress, awsRegion, userAgent, errorCode].
 */
export type FirstCall = [string, string, string, number, string, string, string, string];

/** One window of a burst key. */
export interface BurstWindow {
  f: FirstCall;
  s: Sighting[];
}

/** A burst key's aggregate; see the comment at the top of burst.ts. */
export interface BurstAggregate {
  /** The period's earliest call: who made it (an identity-only copy, with its time and eventID) and its object key. */
  first: { record: CloudTrailRecord; objectKey: string };
  /** Window start (ISO) → the window; only the earliest windows within the budget. */
  windows: Record<string, BurstWindow>;
}

/** What a user tunes on a burst detector. */
export interface BurstOptions {
  /** Distinct items one principal must touch within one window for a finding. */
  threshold: number;
  /** Span length in minutes, at most a day (windows aligned to the epoch, and any span across two). */
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

/** Packs per account and period: a work item writes this many items per account and day at most. */
export const BURST_PACKS = 4;

/**
 * The pack of a burst key (see `CorrelatingDetector.pack`): `<account>#<period>#<n>`, n the
 * principal's bucket, so a work item writes a few items per account and day, not one per principal.
 */
export function burstPack(key: string): string {
  const periodAt = key.lastIndexOf('#');
  const accountAt = key.lastIndexOf('#', periodAt - 1);
  return `${key.slice(accountAt + 1)}#${bucketOf(key.slice(0, Math.max(0, accountAt)), BURST_PACKS)}`;
}

/** Windows per key: a UTC day of 10-minute windows. */
export const PERIOD_WINDOWS = 144;
/** Longest period, so a key never outlives the aggregates' retention by much. */
export const MAX_PERIOD_MS = 24 * 3_600_000;

// Bounds against attacker-shaped records: items read from one record, bytes kept per field.
export const MAX_ITEMS_READ = 1000;
export const MAX_THRESHOLD = 100;
/** Longest window: a period holds at least one, and a latest-sighting offset stays under 9 digits. */
export const MAX_WINDOW_MINUTES = 1440;
export const MAX_PRINCIPAL_CHARS = 512;
/** Longest account text kept in a key (an account id has 12 digits). */
export const MAX_ACCOUNT_BYTES = 64;
export const BYTES = { item: 48, eventID: 40, objectKey: 160, address: 40, region: 16, userAgent: 48, errorCode: 32 };
// The identity's known fields only: no JSON walk of the whole identity per observed record.
export const IDENTITY_LIMITS = { identityOnly: true, fieldBytes: 128 } as const;
/** Worst-case JSON bytes of one window without its sightings, and of one sighting (tested). */
export const WINDOW_BYTES = 440;
export const SIGHTING_BYTES = 92;
/**
 * Worst-case JSON bytes of one sighting in windows of `windowMs`: 82 with the time and item, plus
 * the latest-time offset (a comma and its digits, under windowMs): 89 for 10-minute windows.
 */
export const sightingBytes = (windowMs: number): number => 83 + String(Math.max(0, Math.ceil(windowMs) - 1)).length;
/** What the windows may cost: the aggregate limit less the identity copy (at most ~2.6 KB) and slack. */
export const WINDOWS_BUDGET = MAX_AGGREGATE_BYTES - 4096 - 512;
export const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export function compare(a: readonly (string | number | undefined)[], b: typeof a, length = a.length): number {
  for (let i = 0; i < length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A sighting's order: earliest time, item, failed flag (never the offset). */
export const bySighting = (a: Sighting, b: Sighting) => compare(a, b, 3);

/**
 * The canonical form of a window's items: per item the earliest sighting and the latest time;
 * then, when there are `cap` items or more, the `cap` earliest without their latest times, else
 * all of them with it; sorted. A join (see the comment at the top of burst.ts).
 */
export function canonicalSightings(sightings: Iterable<Sighting>, cap: number): Sighting[] {
  const best = new Map<string, Sighting>();
  const latest = new Map<string, number>();
  for (const sighting of sightings) {
    const item = sighting[1];
    const known = best.get(item);
    if (!known || bySighting(sighting, known) < 0) best.set(item, sighting);
    const last = latestOf(sighting);
    if (!((latest.get(item) ?? Number.NEGATIVE_INFINITY) >= last)) latest.set(item, last);
  }
  const sorted = [...best.values()].sort(bySighting);
  if (sorted.length >= cap) return sorted.slice(0, cap).map(([time, item, failed]): Sighting => [time, item, failed]);
  return sorted.map(([time, item, failed]): Sighting => [time, item, failed, latest.get(item)! - Date.parse(time)]);
}

/**
 * The earlier of two records with their object keys, by (eventTime, eventID, object key), then by
 * content (only on a full tie, which a real trail never has): a total order, cheap per record.
 */
export function earlierFirst<F extends { record: CloudTrailRecord; objectKey: string }>(a: F, b: F): F {
  const head = compare(
    [a.record.eventTime ?? '', a.record.eventID ?? '', a.objectKey],
    [b.record.eventTime ?? '', b.record.eventID ?? '', b.objectKey],
  );
  if (head !== 0) return head < 0 ? a : b;
  return JSON.stringify(a.record) <= JSON.stringify(b.record) ? a : b;
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
  // The account is bounded like the principal: a record written into the bucket may carry any
  // text there, and the key is stored (touched lists, packs) in items DynamoDB caps at 400 KB.
  const account =
    typeof record.recipientAccountId === 'string' ? compactText(record.recipientAccountId, MAX_ACCOUNT_BYTES) : '?';
  const principal = principalOf(record);
  const cut = principal.length > MAX_PRINCIPAL_CHARS ? `${principal.slice(0, MAX_PRINCIPAL_CHARS)}…` : principal;
  return `${cut}#${account}`;
}

/**
 * The earliest windows whose summed worst-case cost (WINDOW_BYTES plus `sighting` bytes per
 * sighting: it only grows when windows are joined) fits the budget; the same object when all fit.
 */
export function withinBudget(windows: Record<string, BurstWindow>, sighting: number): Record<string, BurstWindow> {
  const windowCost = (window: BurstWindow) => WINDOW_BYTES + window.s.length * sighting;
  let total = 0;
  for (const start in windows) total += windowCost(windows[start]!);
  if (total <= WINDOWS_BUDGET) return windows;
  const kept: Record<string, BurstWindow> = {};
  total = 0;
  for (const start of Object.keys(windows).sort()) {
    total += windowCost(windows[start]!);
    if (total > WINDOWS_BUDGET) break;
    kept[start] = windows[start]!;
  }
  return kept;
}

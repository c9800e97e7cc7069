import { isFailedCall, type CloudTrailRecord } from '../core/cloudtrail.ts';
import {
  FAILED_CALLS,
  SEVERITIES,
  type DetectorMatch,
  type EventsBySource,
  type DetectorMetadata,
  type Severity,
  type StatelessDetector,
} from './types.ts';

/**
 * Shared pieces of the catalogue detectors: safe access to loosely typed CloudTrail fields, the
 * failed-call policy, and IAM/S3 policy parsing. Everything here is total: odd input gives
 * `undefined` or an empty list, never an exception.
 */

/** A JSON object as CloudTrail writes one. */
export type Json = Record<string, unknown>;

/** A detector's verdict before the failed-call policy is applied. */
export interface Verdict {
  /** One sentence, phrased so that it still reads true when the call failed ("X requested ..."). */
  reason: string;
  /** Severity of this finding when it differs from the detector's default. */
  severity?: Severity;
  /** Whether the call failed; defaults to {@link isFailedCall}. */
  failed?: boolean;
}

/** `value` when it is a plain object (not null, not an array), else undefined. */
export function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** Follows `path` through plain objects; undefined as soon as a step is not one. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    const object = asObject(current);
    if (!object) return undefined;
    current = object[key];
  }
  return current;
}

/** A non-empty string at `path`, else undefined. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = at(value, ...path);
  return typeof found === 'string' && found.length > 0 ? found : undefined;
}

/** An array as is, a single object as a one-element list, anything else as an empty list. */
export function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return asObject(value) ? [value] : [];
}

/** The entries of an EC2-style `{ items: [...] }` wrapper (a bare array is accepted too). */
export function itemsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : listOf(at(value, 'items'));
}

/** The plain objects among `values`. */
export function objectsOf(values: unknown[]): Json[] {
  return values.filter((value): value is Json => asObject(value) !== undefined);
}

/** Whether `value` is `wanted`, or an array that contains it (IAM's string-or-list fields). */
export function includesValue(value: unknown, wanted: string): boolean {
  return value === wanted || (Array.isArray(value) && value.includes(wanted));
}

/** Whether `value` is false, as a boolean or as the string CloudTrail sometimes records. */
export function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

// Bounds for walking request parameters: they are small in practice, but a record is attacker-influenced.
const WALK_BUDGET = 2000;
const WALK_DEPTH = 8;

/** Up to `limit` strings found anywhere in `value` that pass `test` (depth- and size-bounded). */
export function findStrings(value: unknown, test: (text: string) => boolean, limit = 20): string[] {
  const found: string[] = [];
  let budget = WALK_BUDGET;
  const walk = (node: unknown, depth: number): void => {
    if (found.length >= limit || budget-- <= 0) return;
    if (typeof node === 'string') {
      if (test(node)) found.push(node);
    } else if (depth < WALK_DEPTH && node !== null && typeof node === 'object') {
      for (const child of Array.isArray(node) ? node : Object.values(node)) walk(child, depth + 1);
    }
  };
  walk(value, 0);
  return found;
}

const MAX_LABEL = 200;

/** `kind 'value'` for a reason sentence, or `an unnamed kind`; long values are cut. */
export function label(kind: string, value: string | undefined): string {
  if (!value) return `an unnamed ${kind}`;
  return `${kind} '${value.length > MAX_LABEL ? `${value.slice(0, MAX_LABEL)}…` : value}'`;
}

/** The severity one step below `severity` (`info` stays `info`). */
export function lowerSeverity(severity: Severity): Severity {
  return SEVERITIES[Math.max(0, SEVERITIES.indexOf(severity) - 1)] ?? 'info';
}

/**
 * Applies the detector's {@link DetectorMetadata.failedCalls} policy to a verdict: a successful
 * call matches; a failed one is dropped (`ignored`), matched as is (`matched`), or reported one
 * severity step lower as a failed attempt (`lower-severity`).
 */
export function judge(meta: DetectorMetadata, record: CloudTrailRecord, verdict: Verdict): DetectorMatch | undefined {
  const severity = verdict.severity ?? meta.severity;
  const failed = verdict.failed ?? isFailedCall(record);
  if (failed && meta.failedCalls === FAILED_CALLS.ignored) return undefined;
  if (failed && meta.failedCalls === FAILED_CALLS.lowerSeverity) {
    const error = stringAt(record, 'errorCode') ?? stringAt(record, 'errorMessage') ?? 'an error';
    return {
      severity: lowerSeverity(severity),
      title: `${meta.title} (failed attempt)`,
      reason: `${verdict.reason.replace(/\.$/, '')}, but the call failed (${error}).`,
    };
  }
  return severity === meta.severity ? { reason: verdict.reason } : { severity, reason: verdict.reason };
}

export type { EventsBySource } from './types.ts';

/**
 * Builds the common kind of stateless detector: a few API calls of one or more services, judged
 * by `explain` on their request parameters. The eventSource and eventName lookups run first, so
 * the other millions of records cost two map lookups (and Analyze's prefilter skips them by `events`); `explain` returns a reason (or a
 * {@link Verdict}) for a match and undefined otherwise, and {@link judge} applies the
 * failed-call policy.
 */
export function apiCallDetector(
  meta: DetectorMetadata,
  events: EventsBySource,
  explain: (params: Json | undefined, record: CloudTrailRecord) => string | Verdict | undefined,
): StatelessDetector {
  const names = new Map(Object.entries(events).map(([source, list]) => [source, new Set(list)]));
  return {
    kind: 'stateless',
    meta,
    events,
    detect(record: CloudTrailRecord) {
      const source = record.eventSource;
      if (typeof source !== 'string') return undefined;
      const wanted = names.get(source);
      if (!wanted?.has(record.eventName as string)) return undefined;
      const verdict = explain(asObject(record.requestParameters), record);
      if (verdict === undefined) return undefined;
      return judge(meta, record, typeof verdict === 'string' ? { reason: verdict } : verdict);
    },
  };
}

// IAM and S3 policies stay well under this (IAM inline ≤ 10 KB, bucket policy ≤ 20 KB).
const MAX_POLICY_CHARS = 100_000;

/**
 * A policy document as CloudTrail records it: an object (S3 `bucketPolicy`), a JSON string (IAM
 * `policyDocument`), or that string URL-encoded. Undefined when it is none of these.
 */
export function parsePolicy(value: unknown): Json | undefined {
  if (typeof value !== 'string') return asObject(value);
  if (value.length > MAX_POLICY_CHARS) return undefined;
  let text = value.trim();
  if (text.startsWith('%')) {
    try {
      text = decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The statements of a parsed policy (`Statement` may be one object or a list). */
export function statementsOf(policy: Json | undefined): Json[] {
  return objectsOf(listOf(policy?.Statement));
}

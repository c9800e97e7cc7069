/**
 * CloudTrail's S3 key layouts:
 *   [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz
 *   [prefix/]AWSLogs/<o-org>/<account>/CloudTrail/...            (organisation trail)
 * Digests live under CloudTrail-Digest/, Insights events under CloudTrail-Insight/.
 */

/** A key that is a CloudTrail log file. */
export interface LogKey {
  kind: 'log';
  key: string;
  /** The trail's own key prefix (before `AWSLogs/`), '' when none. */
  trailPrefix: string;
  orgId?: string;
  account: string;
  region: string;
  /** The date folder, `YYYY-MM-DD`. */
  date: string;
  /** The file's stamp as an ISO time (`2017-11-28T19:05:00Z`), when its name carries one. */
  stamp?: string;
}

/** A key that is not a log file, with why it is skipped. */
export interface OtherKey {
  kind: 'digest' | 'insight' | 'other';
  key: string;
  reason: string;
}

export type TrailKey = LogKey | OtherKey;

const KEY_PATTERN =
  /^(?:(.+)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/(CloudTrail|CloudTrail-Digest|CloudTrail-Insight)\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/([^/]+)$/;
const STAMP_PATTERN = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/;
const LOG_SUFFIXES = ['.json.gz', '.json'] as const;

/** Classifies an S3 key (or a path relative to a trail folder, with `/` separators). */
export function parseTrailKey(key: string): TrailKey {
  const match = KEY_PATTERN.exec(key);
  if (!match) return { kind: 'other', key, reason: 'not under AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/' };
  const [, trailPrefix = '', orgId, account, folder, region, year, month, day, file] = match as unknown as string[];
  if (folder === 'CloudTrail-Digest') return { kind: 'digest', key, reason: 'CloudTrail digest file' };
  if (folder === 'CloudTrail-Insight') return { kind: 'insight', key, reason: 'CloudTrail Insights event file' };
  if (!LOG_SUFFIXES.some((suffix) => file!.endsWith(suffix))) {
    return { kind: 'other', key, reason: 'not a .json.gz or .json log file' };
  }
  const parsed: LogKey = {
    kind: 'log',
    key,
    trailPrefix,
    account: account!,
    region: region!,
    date: `${year}-${month}-${day}`,
  };
  if (orgId) parsed.orgId = orgId;
  const stamp = STAMP_PATTERN.exec(file!);
  if (stamp) parsed.stamp = `${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:${stamp[5]}:00Z`;
  return parsed;
}

/** Where one account's logs start: `[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/`. */
export interface TrailScope {
  trailPrefix: string;
  orgId?: string;
  account: string;
}

/** `[prefix/]AWSLogs/` */
export function awsLogsPrefix(trailPrefix: string): string {
  return trailPrefix ? `${trailPrefix.replace(/\/+$/, '')}/AWSLogs/` : 'AWSLogs/';
}

/** `[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/` */
export function accountPrefix(scope: TrailScope): string {
  return `${awsLogsPrefix(scope.trailPrefix)}${scope.orgId ? `${scope.orgId}/` : ''}${scope.account}/CloudTrail/`;
}

/** `.../CloudTrail/<region>/` */
export function regionPrefix(scope: TrailScope, region: string): string {
  return `${accountPrefix(scope)}${region}/`;
}

/** `.../CloudTrail/<region>/YYYY/MM/DD/` for a UTC day given as `YYYY-MM-DD`. */
export function dayPrefix(scope: TrailScope, region: string, date: string): string {
  return `${regionPrefix(scope, region)}${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/`;
}

/** Builds a log file key, as CloudTrail names them (used by the demo and tests). */
export function buildLogKey(scope: TrailScope, region: string, stamp: Date, uniqueId: string): string {
  const iso = stamp.toISOString();
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `${dayPrefix(scope, region, iso.slice(0, 10))}${scope.account}_CloudTrail_${region}_${compact}_${uniqueId}.json.gz`;
}

export const ACCOUNT_PATTERN = /^\d{12}$/;
export const ORG_PATTERN = /^o-[a-z0-9]{10,32}$/;
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** UTC days `YYYY-MM-DD` from the day of `from` to the day of `to`, inclusive. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (cursor.getTime() <= to.getTime()) {
    days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

import { createHash } from 'node:crypto';
import { SEVERITIES } from '../../functions/core/detector.ts';
import type { Finding } from '../../functions/core/findings.ts';
import { shortPrincipal, type LightFinding } from '../../functions/adapters/findings-query.ts';
import type { Detector } from '../../functions/detectors/types.ts';
import { escapeControl, escapeLines, table } from '../format.ts';

/** Event times the short id can encode: whole seconds, UTC, as CloudTrail writes them. */
const WHOLE_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** `<event time, epoch seconds in base 36>-<4 hex of the id's SHA-256>`, e.g. `p0xe6o-3f2a`. */
const SHORT_ID = /^([0-9a-z]{1,8})-([0-9a-f]{4})$/;

/**
 * The short id of a finding, or its full id when its event time is not CloudTrail's whole-second
 * form. The time part lets `show`/`ack` find the finding through the by-status index with an exact
 * key (no new index, no scan); the hash part tells apart findings of the same second.
 */
export function shortId(finding: { id: string; eventTime: string }): string {
  const ms = Date.parse(finding.eventTime);
  if (!WHOLE_SECONDS.test(finding.eventTime) || !Number.isFinite(ms) || ms < 0) return finding.id;
  return `${(ms / 1000).toString(36)}-${idHash(finding.id)}`;
}

/** The event time a short id names (stored form), or undefined when the text is not a short id. */
export function shortIdTime(text: string): { eventTime: string; hash: string } | undefined {
  const match = SHORT_ID.exec(text);
  if (!match) return undefined;
  const seconds = parseInt(match[1]!, 36);
  if (!Number.isSafeInteger(seconds) || seconds * 1000 > 8.64e15) return undefined;
  return { eventTime: new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'), hash: match[2]! };
}

export function idHash(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 4);
}

/** Findings as a table, newest first, each row with the short id `show`, `ack` and `resolve` take. */
export function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.map((f) => [
    shortId(f),
    f.eventTime,
    f.severity,
    f.status ?? 'open',
    f.detector,
    f.account,
    shortPrincipal(f.principal),
    f.sourceIPAddress,
    // A failed call shows its error with the call, so the table keeps to 100 columns.
    `${f.eventSource.split('.')[0]}:${f.eventName}${f.errorCode ? ` (${f.errorCode})` : ''}`,
  ]);
  return table(
    ['ID', 'EVENT TIME', 'SEVERITY', 'STATUS', 'DETECTOR', 'ACCOUNT', 'PRINCIPAL', 'SOURCE IP', 'CALL'],
    rows,
  );
}

/** Repeats folded into one row: same detector, principal and account, each within `windowMs` of the last. */
export interface FindingGroup {
  detector: string;
  title: string;
  severity: string;
  account: string;
  principal: string;
  count: number;
  firstTime: string;
  lastTime: string;
  sourceIPs: string[];
  statuses: Record<string, number>;
  /** Short id of the newest finding of the group: what `show` takes. */
  latest: string;
}

/**
 * Folds findings into groups. A group holds findings of one (detector, principal, account) whose
 * consecutive event times are at most `windowMs` apart; a longer quiet spell starts a new group.
 * Input order does not matter (it is sorted here); groups come newest first.
 */
export function groupFindings(findings: readonly LightFinding[], windowMs: number): FindingGroup[] {
  const byKey = new Map<string, LightFinding[]>();
  for (const f of findings) {
    const key = JSON.stringify([f.detector, f.principal, f.account]);
    const list = byKey.get(key);
    if (list) list.push(f);
    else byKey.set(key, [f]);
  }
  const groups: FindingGroup[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : a.id < b.id ? -1 : 1));
    let current: { items: LightFinding[]; last: number } | undefined;
    const close = () => current && groups.push(toGroup(current.items));
    for (const f of list) {
      const t = Date.parse(f.eventTime);
      if (!current || !(Number.isFinite(t) && Number.isFinite(current.last) && t - current.last <= windowMs)) {
        close();
        current = { items: [], last: t };
      }
      current.items.push(f);
      current.last = t;
    }
    close();
  }
  return groups.sort((a, b) =>
    a.lastTime < b.lastTime ? 1 : a.lastTime > b.lastTime ? -1 : a.latest < b.latest ? -1 : 1,
  );
}

function toGroup(items: LightFinding[]): FindingGroup {
  const first = items[0]!;
  const last = items[items.length - 1]!;
  const statuses: Record<string, number> = {};
  for (const f of items) statuses[f.status ?? 'open'] = (statuses[f.status ?? 'open'] ?? 0) + 1;
  const severity = items.reduce(
    (worst, f) => (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(worst) ? f.severity : worst),
    first.severity,
  );
  return {
    detector: first.detector,
    title: first.title,
    severity,
    account: first.account,
    principal: first.principal,
    count: items.length,
    firstTime: first.eventTime,
    lastTime: last.eventTime,
    sourceIPs: [...new Set(items.map((f) => f.sourceIPAddress))].sort(),
    statuses,
    latest: shortId(last),
  };
}

/** Groups as a table: count, first and last time, distinct source addresses. */
export function groupsTable(groups: readonly FindingGroup[]): string {
  const rows = groups.map((g) => [
    g.latest,
    String(g.count),
    g.firstTime,
    g.lastTime,
    g.severity,
    Object.entries(g.statuses)
      .map(([status, n]) => (Object.keys(g.statuses).length > 1 ? `${n} ${status}` : status))
      .join(', '),
    g.detector,
    g.account,
    shortPrincipal(g.principal),
    g.sourceIPs.length > 3 ? `${g.sourceIPs.slice(0, 3).join(',')} +${g.sourceIPs.length - 3}` : g.sourceIPs.join(','),
  ]);
  return table(
    ['LATEST', 'COUNT', 'FIRST', 'LAST', 'SEVERITY', 'STATUS', 'DETECTOR', 'ACCOUNT', 'PRINCIPAL', 'SOURCE IPS'],
    rows,
  );
}

/** A finding for scripts: `record` as an object (a string only when it was cut and is not JSON). */
export function findingJson(f: Finding): Record<string, unknown> {
  let record: unknown = f.record;
  try {
    record = JSON.parse(f.record);
  } catch {
    // A record cut to fit the item is not valid JSON: it stays the string it is, with its flag.
  }
  return { ...f, shortId: shortId(f), status: f.status ?? 'open', record };
}

/** Columns of the CSV export, in order. */
export const CSV_COLUMNS = [
  'shortId',
  'id',
  'eventTime',
  'severity',
  'status',
  'detector',
  'title',
  'account',
  'principal',
  'sourceIPAddress',
  'eventSource',
  'eventName',
  'awsRegion',
  'userAgent',
  'errorCode',
  'reason',
  'reviewedBy',
  'reviewedAt',
  'reviewNote',
  'objectKey',
  'runId',
] as const;

/**
 * One CSV cell: quoted, and a cell a spreadsheet would take for a formula (starting with = + - @,
 * tab or CR) is prefixed with an apostrophe, so attacker-chosen fields stay text.
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && text !== '-') text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** Rows of objects as CSV with a header line (RFC 4180, CRLF). */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return `${[columns.map(csvCell).join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(','))].join('\r\n')}\r\n`;
}

/** Everything about one finding for a person: the finding, its reason, the runbook, the whole record. */
export function showFinding(f: Finding, detector: Detector | undefined): string {
  const lines = [
    `Finding ${shortId(f)}  (${f.id})`,
    `  ${f.title}`,
    `  detector   ${f.detector}, severity ${f.severity}`,
    `  status     ${f.status ?? 'open'}${f.reviewedBy ? ` (by ${f.reviewedBy} at ${f.reviewedAt ?? '?'}${f.reviewNote ? `: ${f.reviewNote}` : ''})` : ''}`,
    `  event      ${f.eventTime} ${f.eventSource} ${f.eventName} in ${f.awsRegion}${f.errorCode ? `, failed: ${f.errorCode}` : ''}`,
    `  account    ${f.account}`,
    `  principal  ${f.principal}`,
    `  source     ${f.sourceIPAddress}  user agent: ${f.userAgent}`,
    `  object     ${f.objectKey}`,
    `  run        ${f.runId}, detected ${f.detectedAt}`,
    `  reason     ${f.reason ?? '(the detector gives none beyond its title)'}`,
  ].map(escapeControl);
  lines.push('', `Runbook (${escapeControl(f.detector)}):`);
  lines.push(
    detector
      ? escapeLines(indent(detector.meta.runbook))
      : "  (not a built-in detector: pass --sigma <dir> with its rule to see the rule's runbook)",
  );
  lines.push('', `Record${f.recordTruncated ? ' (cut to fit the item)' : ''}:`);
  const json = findingJson(f).record;
  // JSON.stringify escapes C0 but not DEL, C1 or bidi characters: each line is escaped too.
  lines.push(escapeLines(indent(typeof json === 'string' ? json : JSON.stringify(json, null, 2))));
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

import type { AlarmEvaluation } from './local/alarm-evaluation.ts';
import type { Finding } from '../functions/core/findings.ts';
import { ATTACK_VERSION } from '../functions/detectors/mitre.ts';
import type { Detector } from '../functions/detectors/types.ts';
import type { RunSummary } from '../functions/core/payloads.ts';
import { outputWidth } from './options.ts';
import { fitTable, wrap } from './table.ts';

/**
 * Control and direction characters that can rewrite a terminal or forge output: C0 (with tab,
 * CR and LF), DEL, C1 (incl. the one-byte CSI), bidi embeddings, overrides and isolates, and the
 * Unicode line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu;

/**
 * The one escape of every human-readable output: each unsafe character becomes visible text
 * (`\x1B`, `\u202E`), so log content (attacker-chosen user agents, keys, ARNs) can neither drive
 * the terminal (clear the screen, set the title, plant hyperlinks) nor forge lines or rows.
 * JSON output needs none of this: JSON.stringify already escapes C0, and stays machine-read.
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
      : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** {@link escapeControl} on each line of a text whose own line breaks are meant. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}

/** The `--json` object of `audit` and `demo`: the contract scripts rely on. */
export function summaryJson(
  summary: RunSummary | undefined,
  runId: string,
  mode: string,
  status: string,
  alarms: AlarmEvaluation[],
  error?: { error: string; cause: string },
) {
  const main = alarms[0];
  return {
    runId,
    mode,
    status,
    ...(error ? { error } : {}),
    window: summary?.window ?? null,
    objects: summary ? summary.objects : { listed: 0, analyzed: 0, skipped: 0, failed: 0 },
    records: summary?.records ?? 0,
    skippedRecords: summary?.skippedRecords ?? 0,
    failedRecords: summary?.failedRecords ?? 0,
    findings: summary
      ? { ...summary.findings, suppressedByRule: summary.suppressedByRule }
      : { new: 0, duplicate: 0, suppressed: 0, byDetector: {}, suppressedByRule: {} },
    failures: summary?.failures ?? [],
    complete: summary?.complete ?? false,
    alarm: main ? { name: main.name, state: main.state, reason: main.reason } : null,
    alarms: alarms.map((a) => ({ name: a.name, state: a.state })),
  };
}

/** A run summary for people. */
export function formatSummary(
  summary: RunSummary | undefined,
  status: string,
  alarms: AlarmEvaluation[],
  error?: { error: string; cause: string },
): string {
  const lines: string[] = [];
  if (summary) {
    const w = summary.window;
    lines.push(`Run ${summary.runId} (${summary.mode}): ${status}`);
    lines.push(`  window    ${w.start ?? 'beginning of trail'} .. ${w.end}`);
    const o = summary.objects;
    lines.push(
      `  objects   ${o.listed} listed, ${o.analyzed} analyzed, ${o.skipped} skipped (not log files), ${o.failed} failed`,
    );
    lines.push(`  records   ${summary.records}`);
    const f = summary.findings;
    lines.push(`  findings  ${f.new} new, ${f.duplicate} already stored, ${f.suppressed} suppressed`);
    for (const [id, n] of Object.entries(f.byDetector).sort())
      lines.push(`              ${String(n).padStart(4)}  ${id}`);
    for (const [rule, n] of Object.entries(summary.suppressedByRule).sort())
      lines.push(`  suppressed ${String(n).padStart(4)} by ${rule}`);
    if (summary.failures.length > 0) {
      lines.push(`  failures  (${o.failed} objects could not be analyzed; the rest of the run went on)`);
      for (const failure of summary.failures) lines.push(`    ${failure.key}: ${failure.reason}`);
    }
    if (o.listed === 0) {
      lines.push(
        summary.mode === 'scheduled' && w.start
          ? '  (nothing new since the last scheduled run in this store)'
          : '  (no log objects found: --trail must hold AWSLogs/<account>/CloudTrail/..., or be a sync of s3://<bucket>/AWSLogs)',
      );
    } else if (summary.mode === 'scheduled' && o.analyzed + o.failed === 0 && summary.complete) {
      // Listed, and every log object already in the store's ledger.
      lines.push('  (nothing new since the last scheduled run in this store)');
    }
    if (!summary.complete)
      lines.push(`  incomplete: ${summary.batches.reported} of ${summary.batches.planned} work items reported`);
  } else lines.push(`Run ${status}`);
  if (error) lines.push(`  error     ${error.error}: ${error.cause}`);
  for (const alarm of alarms) lines.push(`  alarm     ${alarm.name}: ${alarm.state} (${alarm.reason})`);
  // Every line is escaped whole: object keys, failure reasons and errors come from the trail.
  return lines.map(escapeControl).join('\n');
}

/** Findings as a table, newest first. */
export function formatFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No findings.';
  const rows = findings.map((f) => [
    f.eventTime,
    f.severity,
    f.detector,
    `${f.eventSource.split('.')[0]}:${f.eventName}`,
    f.sourceIPAddress,
    shortPrincipal(f.principal),
    f.errorCode ?? '',
  ]);
  return table(['EVENT TIME', 'SEVERITY', 'DETECTOR', 'CALL', 'SOURCE IP', 'PRINCIPAL', 'ERROR'], rows);
}

/** The detector registry for people, fitted to `width` columns (titles cut, details wrapped). */
export function formatDetectors(detectors: readonly Detector[], verbose: boolean, width = 100): string {
  const footer = wrap(
    `ATT&CK techniques refer to MITRE ATT&CK ${ATTACK_VERSION} (Enterprise). Failed calls: matched = like a success, lower-severity = reported one step lower, ignored = never reported.`,
    width,
  );
  if (!verbose) {
    const rows = detectors.map((d) => [
      d.meta.id,
      d.meta.severity,
      d.meta.mitre.id || '-',
      d.meta.failedCalls,
      d.meta.title,
    ]);
    // The title gives way first, then the id (Sigma ids can be long).
    return `${fitTable(['ID', 'SEVERITY', 'ATT&CK', 'FAILED CALLS', 'TITLE'], rows, width, [4, 0])}\n\n${footer}`;
  }
  const item = (text: string) => wrap(text, width, '    - ', '      ');
  return `${detectors
    .map((d) => {
      const m = d.meta;
      return [
        wrap(`${m.id} — ${m.title}`, width, '', '  '),
        wrap(
          `severity: ${m.severity}; ATT&CK ${m.mitre.id} ${m.mitre.name}; failed calls: ${m.failedCalls}${m.source ? `; source: ${m.source}` : ''}`,
          width,
          '  ',
          '    ',
        ),
        wrap(m.description, width, '  '),
        ...(m.weaknesses?.length ? ['  weaknesses:', ...m.weaknesses.map(item)] : []),
        ...(m.falsePositives.length ? ['  false positives:', ...m.falsePositives.map(item)] : []),
        wrap(`runbook: ${m.runbook}`, width, '  ', '    '),
        ...(m.references.length ? ['  references:', ...m.references.map(item)] : []),
      ].join('\n');
    })
    // Rule files are the user's own: their text is escaped like log content.
    .map(escapeLines)
    .join('\n\n')}\n\n${footer}`;
}

function shortPrincipal(arn: string): string {
  const parts = arn.split(':');
  return parts.length >= 6 ? parts.slice(5).join(':') : arn;
}

/** Columns padded to their widest cell; every cell escaped first, so no cell can break its row. */
export function table(header: string[], rows: string[][], width = outputWidth()): string {
  // A column no row fills (ERROR, most of the time) is left out.
  const used = header.map((_, i) => rows.length === 0 || rows.some((row) => (row[i] ?? '') !== ''));
  const columns = header.filter((_, i) => used[i]);
  const escaped = rows.map((row) => row.filter((_, i) => used[i]).map(escapeControl));
  // Times, ids and counts keep their width; the text columns give way, widest first, cut with an
  // ellipsis, so a table fits the terminal (100 columns when it is not one).
  const natural = columns.map((h, i) => Math.max(h.length, ...escaped.map((r) => (r[i] ?? '').length)));
  const shrink = columns
    .map((h, i) => ({ i, keep: FIXED_COLUMNS.has(h), width: natural[i]! }))
    .filter((column) => !column.keep)
    .sort((a, b) => b.width - a.width)
    .map((column) => column.i);
  return fitTable(columns, escaped, width, shrink, 6, true);
}

/** Columns a table never cuts. */
const FIXED_COLUMNS = new Set([
  'ID',
  'EVENT TIME',
  'LATEST',
  'FIRST',
  'LAST',
  'SEVERITY',
  'STATUS',
  'COUNT',
  'ACCOUNT',
]);

import { createHash } from 'node:crypto';
import { SEVERITIES } from '../../functions/core/detector.ts';
import type { Finding } from '../../functions/core/findings.ts';
import { shortPrincipal, type LightFinding } from '../../functions/adapters/findings-query.ts';
import { shortId } from './findings-view.ts';
import { REPORT_CSS, REPORT_SCRIPT } from './report-assets.ts';

/** What a report shows: every match counted, the newest `rows` listed in its table. */
export interface ReportData {
  generatedAt: string;
  /** The filters in words, for the heading. */
  scope: string;
  matches: readonly LightFinding[];
  rows: readonly Finding[];
}

const SEVERITY_COLOURS: Record<string, string> = {
  critical: '#7b1fa2',
  high: '#c62828',
  medium: '#ef6c00',
  low: '#f9a825',
  info: '#607d8b',
};
const PALETTE = ['#1565c0', '#2e7d32', '#ad1457', '#6a1b9a', '#00838f', '#4e342e', '#558b2f', '#283593', '#9e9e9e'];

/** HTML text and attribute escape: everything from the store is data, never markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * One self-contained page: counts by severity, findings over time by severity and by detector
 * (SVG drawn here), the top principals, source addresses and accounts, and a sortable, filterable
 * table drawn by an inline script with textContent only. Its Content-Security-Policy allows no
 * fetch of any kind and only its own script (by hash), so even markup that slipped into a field
 * could neither load nor run anything.
 */
export function renderReport(data: ReportData): string {
  const { matches } = data;
  const bySeverity = countBy(matches, (f) => f.severity);
  const byDetector = countBy(matches, (f) => f.detector);
  const rows = data.rows.map((f) => ({
    id: shortId(f),
    eventTime: f.eventTime,
    severity: f.severity,
    status: f.status ?? 'open',
    detector: f.detector,
    account: f.account,
    principal: shortPrincipal(f.principal),
    sourceIPAddress: f.sourceIPAddress,
    call: `${f.eventSource.split('.')[0]}:${f.eventName}`,
    userAgent: f.userAgent,
    title: f.title,
  }));
  const scriptHash = createHash('sha256').update(REPORT_SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; form-action 'none'; base-uri 'none'`;
  const severities = [...SEVERITIES].reverse().filter((s) => bySeverity.has(s));
  const topDetectors = top(byDetector, PALETTE.length - 1).map(([id]) => id);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trail-auditor report</title>
<style>${REPORT_CSS}</style></head>
<body>
<header><h1>trail-auditor findings report</h1>
<p>${escapeHtml(data.scope)} · generated ${escapeHtml(data.generatedAt)}</p></header>
<section class="cards">
<div class="card"><span class="n" id="total">${matches.length}</span> findings</div>
${severities.map((s) => `<div class="card" style="border-color:${SEVERITY_COLOURS[s]}"><span class="n" data-severity-count="${s}">${bySeverity.get(s)}</span> ${s}</div>`).join('\n')}
</section>
<section><h2>Over time, by severity</h2>${timeChart(
    matches,
    severities,
    (f) => f.severity,
    (s) => SEVERITY_COLOURS[s] ?? '#999',
  )}</section>
<section><h2>Over time, by detector</h2>${timeChart(
    matches,
    [...topDetectors, 'other'],
    (f) => (topDetectors.includes(f.detector) ? f.detector : 'other'),
    (d) =>
      PALETTE[
        Math.min(topDetectors.indexOf(d) < 0 ? PALETTE.length - 1 : topDetectors.indexOf(d), PALETTE.length - 1)
      ]!,
  )}</section>
<section class="tops">
${topTable('Detectors', 'detector', byDetector, 20)}
${topTable(
  'Principals',
  'principal',
  countBy(matches, (f) => shortPrincipal(f.principal)),
  10,
)}
${topTable(
  'Source addresses',
  'source',
  countBy(matches, (f) => f.sourceIPAddress),
  10,
)}
${topTable(
  'Accounts',
  'account',
  countBy(matches, (f) => f.account),
  10,
)}
</section>
<section><h2>Findings</h2>
<p class="note">${rows.length < matches.length ? `The newest ${rows.length} of ${matches.length} (--limit to change). ` : ''}Click a heading to sort; type to filter.</p>
<div class="controls"><input id="filter" type="search" placeholder="filter: any text" aria-label="filter">
<select id="severity" aria-label="severity"><option value="">any severity</option>${[...SEVERITIES]
    .reverse()
    .map((s) => `<option>${s}</option>`)
    .join('')}</select>
<span id="shown"></span></div>
<table id="findings"><thead><tr>${[
    'id',
    'eventTime',
    'severity',
    'status',
    'detector',
    'account',
    'principal',
    'sourceIPAddress',
    'call',
    'userAgent',
  ]
    .map((c) => `<th data-key="${c}">${c}</th>`)
    .join('')}</tr></thead><tbody></tbody></table></section>
<script type="application/json" id="data">${scriptJson(rows)}</script>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The `n` largest counts, ties by name (so the page is the same whatever order the store answered in). */
function top(counts: Map<string, number>, n: number): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

function topTable(title: string, kind: string, counts: Map<string, number>, n: number): string {
  const rows = top(counts, n)
    .map(
      ([name, count]) =>
        `<tr data-${kind}="${escapeHtml(name)}"><td>${escapeHtml(name)}</td><td class="n">${count}</td></tr>`,
    )
    .join('');
  return `<div><h2>${title}</h2><table class="top"><tbody>${rows}</tbody></table></div>`;
}

/** Stacked bars per time bucket (hour, day or week, whichever gives at most ~60 bars). */
function timeChart(
  matches: readonly LightFinding[],
  series: string[],
  seriesOf: (f: LightFinding) => string,
  colour: (s: string) => string,
): string {
  const times = matches.map((f) => Date.parse(f.eventTime)).filter(Number.isFinite);
  if (times.length === 0) return '<p class="note">No findings with a valid event time.</p>';
  const min = Math.min(...times);
  const max = Math.max(...times);
  const bucket = [3_600_000, 86_400_000, 7 * 86_400_000].find((b) => (max - min) / b <= 60) ?? 30 * 86_400_000;
  const start = Math.floor(min / bucket) * bucket;
  const buckets = Math.floor((max - start) / bucket) + 1;
  const counts = Array.from({ length: buckets }, () => new Map<string, number>());
  for (const f of matches) {
    const t = Date.parse(f.eventTime);
    if (Number.isFinite(t))
      counts[Math.floor((t - start) / bucket)]!.set(
        seriesOf(f),
        (counts[Math.floor((t - start) / bucket)]!.get(seriesOf(f)) ?? 0) + 1,
      );
  }
  const peak = Math.max(...counts.map((c) => [...c.values()].reduce((a, b) => a + b, 0)));
  const width = 720;
  const height = 160;
  const barWidth = Math.max(2, Math.floor(width / buckets) - 2);
  const bars: string[] = [];
  counts.forEach((c, i) => {
    let y = height;
    for (const s of series) {
      const n = c.get(s) ?? 0;
      if (n === 0) continue;
      const h = Math.max(1, Math.round((n / peak) * (height - 10)));
      y -= h;
      const label = `${new Date(start + i * bucket).toISOString().slice(0, 16).replace('T', ' ')} ${s}: ${n}`;
      bars.push(
        `<rect x="${i * (barWidth + 2)}" y="${y}" width="${barWidth}" height="${h}" fill="${colour(s)}"><title>${escapeHtml(label)}</title></rect>`,
      );
    }
  });
  const legend = series
    .filter((s) => counts.some((c) => c.has(s)))
    .map((s) => `<span class="key"><i style="background:${colour(s)}"></i>${escapeHtml(s)}</span>`)
    .join(' ');
  const unit =
    bucket === 3_600_000 ? 'hour' : bucket === 86_400_000 ? 'day' : bucket === 7 * 86_400_000 ? 'week' : '30 days';
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="findings per ${unit}">${bars.join('')}</svg>
<p class="note">one bar per ${unit} from ${escapeHtml(new Date(start).toISOString())}, peak ${peak}</p><p>${legend}</p>`;
}

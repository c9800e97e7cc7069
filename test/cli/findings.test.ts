import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { aCall, anIamUser } from '../helpers/records.ts';
import { SEVERITIES } from '../../functions/core/detector.ts';
import { findChromium } from '../helpers/chromium.ts';

// The real CLI over a trail written by an attacker: terminal escapes, forged rows, bidi overrides,
// spreadsheet formulas and HTML in the fields they control (ARN, user agent, source address, file
// name). One store, so the runs are chained (dynalite's LevelDB lock); started when a suite starts.

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TMP = mkdtempSync(join(tmpdir(), 'trail-auditor-findings-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
const STORE = join(TMP, 'store');
const TRAIL = join(TMP, 'trail');
const REPORT = join(TMP, 'report.html');
const ENV = { ...process.env };
for (const name of [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_CLOUDWATCH',
])
  delete ENV[name];
// Wide, so that the hostile values below are shown whole (escaped); one run checks 100 columns.
ENV.COLUMNS = '1000';

const ESC = '\u001b';
const CLEAR = `${ESC}[2J${ESC}[H`;
const TITLE = `${ESC}]0;owned${'\u0007'}`;
const LINK = `${ESC}]8;;http://203.0.113.9/${'\u0007'}click${ESC}]8;;${'\u0007'}`;
const FORGED_ROW = '\r\np056dh-0000  2017-11-28T19:05:41Z  low       resolved  nothing-to-see';
const HTML = `<img src=x onerror="document.body.setAttribute('data-pwned','1')">`;
const MALLORY = `arn:aws:iam::123456789012:user/mallory${CLEAR}${TITLE}\u202Eadmin`;
const FOLDER = join(TRAIL, 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28');

/** Five deleting-logs findings (two principals) and one object that fails, named with escapes. */
function writeHostileTrail(): void {
  mkdirSync(FOLDER, { recursive: true });
  const mallory = anIamUser({ arn: MALLORY, userName: 'mallory' });
  const records = [
    aCall(
      'cloudtrail',
      'StopLogging',
      { name: 'main' },
      {
        eventTime: '2017-11-28T19:05:10Z',
        userIdentity: mallory,
        userAgent: `${HTML}${LINK}`,
        sourceIPAddress: `192.0.2.66${FORGED_ROW}`,
      },
    ),
    aCall(
      'cloudtrail',
      'DeleteTrail',
      { name: 'main' },
      {
        eventTime: '2017-11-28T19:05:20Z',
        userIdentity: mallory,
        userAgent: '=HYPERLINK("http://203.0.113.9/x","open")',
        sourceIPAddress: '+192.0.2.67',
      },
    ),
    aCall(
      'logs',
      'DeleteLogGroup',
      { logGroupName: 'a' },
      { eventTime: '2017-11-28T19:05:30Z', userIdentity: mallory, sourceIPAddress: '@192.0.2.68' },
    ),
    aCall(
      'logs',
      'DeleteLogGroup',
      { logGroupName: 'b' },
      { eventTime: '2017-11-28T19:05:40Z', sourceIPAddress: '192.0.2.10' },
    ),
    aCall(
      'logs',
      'DeleteLogGroup',
      { logGroupName: 'c' },
      { eventTime: '2017-11-28T22:05:40Z', sourceIPAddress: '192.0.2.11' },
    ),
  ];
  writeFileSync(
    join(FOLDER, '123456789012_CloudTrail_us-east-1_20171128T1905Z_Hostile0000000001.json.gz'),
    gzipSync(JSON.stringify({ Records: records })),
  );
  writeFileSync(
    join(FOLDER, `123456789012_CloudTrail_us-east-1_20171128T1910Z_Bad${CLEAR}${TITLE}.json.gz`),
    `not gzip${CLEAR}`,
  );
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = ENV): Promise<CliRun> {
  return new Promise((done) => {
    execFile(file, args, { cwd: ROOT, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
const cli = (...args: string[]) => run(process.execPath, ['cli/bin.js', ...args]);
const inStore = (...args: string[]) => cli(...args, '--store', STORE);

/** Every run of this file, in order, on one store. */
async function runAll() {
  writeHostileTrail();
  const audit = await inStore('audit', '--trail', TRAIL, '--from', '2017-11-28', '--to', '2017-11-28');
  const json = await inStore('findings', '--json', '--limit', '1000');
  const all = json.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>);
  const hostile = all.find((f) => f.eventName === 'StopLogging' && f.detector === 'deleting-logs')!;
  return {
    audit,
    all,
    hostile,
    table: await inStore('findings'),
    badDetector: await inStore('findings', '--detector', 'deleting-log'),
    narrow: await run(process.execPath, ['cli/bin.js', 'findings', '--store', STORE], { ...ENV, COLUMNS: '100' }),
    limited: await inStore('findings', '--limit', '2'),
    csv: await inStore('findings', '--format', 'csv'),
    grouped: await inStore('findings', '--group', '1h'),
    groupedJson: await inStore('findings', '--group', '1h', '--json', '--detector', 'deleting-logs'),
    bySeverity: await inStore('findings', '--severity', 'high', '--json'),
    byPrincipal: await inStore('findings', '--principal', 'user/alice', '--json'),
    show: await cli('findings', 'show', hostile.shortId, '--store', STORE),
    ack: await cli(
      'findings',
      'ack',
      hostile.shortId,
      'deleting-logs#no-such-event',
      '--note',
      `seen${CLEAR}`,
      '--by',
      'alice',
      '--store',
      STORE,
    ),
    acked: await inStore('findings', '--status', 'acked', '--json'),
    open: await inStore('findings', '--status', 'open', '--json'),
    report: await inStore('report', '--html', REPORT),
    reversed: await inStore('findings', '--from', '2017-11-29', '--to', '2017-11-28'),
    badLimit: await inStore('findings', '--limit', '0'),
    noStore: await cli('findings', '--store', join(TMP, 'no-such-store')),
  };
}
let started: ReturnType<typeof runAll> | undefined;
const runs = () => (started ??= runAll());

/** No raw control, DEL, C1 or bidi character: what a terminal would act on. */
function assertNoControl(text: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u.exec(text);
  assert.not.ok(raw, `${what} holds a raw U+${raw?.[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------------------------------------

const list = suite('trail-auditor findings (list, filters, export)');

list(
  'the table shows each finding once with its short id, every control character escaped, no forged row',
  async () => {
    const { table, all } = await runs();
    assert.is(table.code, 0, table.stderr);
    assertNoControl(table.stdout, 'findings table');
    const lines = table.stdout.trimEnd().split('\n');
    assert.is(lines.length, 1 + all.length, table.stdout);
    for (const finding of all)
      assert.ok(table.stdout.includes(`${finding.shortId}  `), `no row for ${finding.shortId}`);
    assert.match(table.stdout, '\\x1B[2J');
    assert.match(table.stdout, '\\x0D\\x0Ap056dh-0000');
    assert.match(table.stdout, '\\u202E');
  },
);

list('--json: one object a line, record an object, short id included', async () => {
  const { all, hostile } = await runs();
  assert.is(all.filter((f) => f.detector === 'deleting-logs').length, 5);
  assert.type(hostile.record, 'object');
  assert.is(hostile.record.userAgent, hostile.userAgent);
  assert.match(hostile.shortId, /^[0-9a-z]+-[0-9a-f]{4}$/);
  assert.is(hostile.status, 'open');
});

list('--limit says what it cut: "showing 2 of N"', async () => {
  const { limited, all } = await runs();
  assert.is(limited.code, 0, limited.stderr);
  assert.match(limited.stdout, `showing 2 of ${all.length} findings; --limit N for more`);
  assert.is(
    limited.stdout
      .trim()
      .split('\n')
      .filter((line) => /^[0-9a-z]+-[0-9a-f]{4} /.test(line)).length,
    2,
  );
});

list('--format csv: a header and a row per finding; formula-like cells are prefixed so they stay text', async () => {
  const { csv } = await runs();
  assert.is(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trimEnd().split('\r\n');
  assert.match(lines[0]!, /^"shortId","id","eventTime","severity","status"/);
  assert.match(csv.stdout, `"'=HYPERLINK(""http://203.0.113.9/x"",""open"")"`);
  assert.match(csv.stdout, `"'+192.0.2.67"`);
  assert.match(csv.stdout, `"'@192.0.2.68"`);
  assert.not.ok(/(^|,)"[=+@]/m.test(csv.stdout), 'a cell starts with a formula character');
});

list(
  '--group folds repeats of one detector, principal and account within the window: count, times, addresses',
  async () => {
    const { grouped, groupedJson } = await runs();
    assert.is(grouped.code, 0, grouped.stderr);
    assertNoControl(grouped.stdout, 'grouped table');
    const groups = groupedJson.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
    // Mallory's three calls in one group; alice's two are 3 hours apart: two groups with a 1h window.
    assert.equal(
      groups.map((g) => [g.count, g.firstTime, g.lastTime]),
      [
        [1, '2017-11-28T22:05:40Z', '2017-11-28T22:05:40Z'],
        [1, '2017-11-28T19:05:40Z', '2017-11-28T19:05:40Z'],
        [3, '2017-11-28T19:05:10Z', '2017-11-28T19:05:30Z'],
      ],
    );
    assert.is(groups[2]!.sourceIPs.length, 3);
  },
);

list('--severity is that level and above; --principal takes what the table shows', async () => {
  const { bySeverity, byPrincipal, all } = await runs();
  const high = all.filter((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf('high')).map((f) => f.id);
  assert.ok(high.length > 0 && high.length < all.length, `${high.length} of ${all.length} high or above`);
  assert.equal(
    bySeverity.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id),
    high,
  );
  const alice = byPrincipal.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);
  assert.equal(
    alice.map((f) => f.id),
    all.filter((f) => f.principal === 'arn:aws:iam::123456789012:user/alice').map((f) => f.id),
  );
  assert.ok(alice.length >= 2);
});

list(
  'usage errors exit non-zero with one clear line: reversed range, --limit 0, a store that does not exist',
  async () => {
    const { reversed, badLimit, noStore } = await runs();
    assert.is(reversed.code, 2);
    assert.match(reversed.stderr, '--from 2017-11-29T00:00:00Z is after --to 2017-11-28T23:59:59Z');
    assert.not.match(reversed.stderr, 'ValidationException');
    assert.ok(badLimit.code !== 0, `exit ${badLimit.code}`);
    assert.match(badLimit.stderr, 'above 0');
    assert.is(noStore.code, 2);
    assert.match(noStore.stderr, 'no local store at');
  },
);

list('the table fits a 100-column terminal, long cells cut with an ellipsis', async () => {
  const { narrow, all } = await runs();
  assert.is(narrow.code, 0, narrow.stderr);
  const lines = narrow.stdout.trimEnd().split('\n');
  assert.is(lines.length, 1 + all.length);
  for (const line of lines) assert.ok([...line].length <= 100, `${[...line].length} columns: ${line}`);
  assert.match(narrow.stdout, '…');
  assert.match(lines[0]!, 'ACCOUNT');
});

list('a misspelt --detector is refused with the nearest id, not answered with "No findings."', async () => {
  const { badDetector } = await runs();
  assert.is(badDetector.code, 2);
  assert.match(badDetector.stderr, 'unknown detector "deleting-log" (did you mean deleting-logs?)');
  assert.not.match(badDetector.stdout, 'No findings');
});

list.run();

// ---------------------------------------------------------------------------------------------

const triage = suite('trail-auditor findings show / ack');

triage('show prints the finding, the runbook and the whole record, escaped', async () => {
  const { show, hostile } = await runs();
  assert.is(show.code, 0, show.stderr);
  assertNoControl(show.stdout, 'findings show');
  assert.match(show.stdout, `Finding ${hostile.shortId}  (${hostile.id})`);
  assert.match(show.stdout, 'Runbook (deleting-logs):');
  assert.match(show.stdout, '"eventName": "StopLogging"');
  assert.match(show.stdout, '\\u202E');
});

triage('ack records who and the note, moves it to acked, and names an unknown id (exit 1)', async () => {
  const { ack, acked, open, hostile, all } = await runs();
  assert.is(ack.code, 1);
  assert.match(ack.stdout, `acked ${hostile.shortId} (${hostile.id}) by alice`);
  assert.match(ack.stderr, 'no finding with id deleting-logs#no-such-event');
  const [item, ...rest] = acked.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);
  assert.is(rest.length, 0);
  assert.is(item!.id, hostile.id);
  assert.is(item!.reviewedBy, 'alice');
  assert.is(item!.reviewNote, `seen${CLEAR}`);
  assert.is(open.stdout.trim().split('\n').length, all.length - 1);
});

triage.run();

// ---------------------------------------------------------------------------------------------

const summary = suite('trail-auditor audit (human summary)');

summary('a failed object whose name carries escapes is reported by key and reason, escaped', async () => {
  const { audit } = await runs();
  assert.is(audit.code, 0, audit.stderr);
  assertNoControl(audit.stdout, 'audit summary');
  assert.match(audit.stdout, '_Bad\\x1B[2J\\x1B[H\\x1B]0;owned\\x07.json.gz: ');
});

summary.run();

// ---------------------------------------------------------------------------------------------

const report = suite('trail-auditor report --html (in headless Chromium)');

/**
 * Chromium, hermetic: no background traffic, every host name unresolvable. Returns the page as it
 * is after its script ran, and the URLs the network log saw requested.
 */
async function browse(url: string): Promise<{ html: string; requested: string[] }> {
  const netLog = join(TMP, `net-${Math.random().toString(36).slice(2)}.json`);
  const page = await run(findChromium(), [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--host-resolver-rules=MAP * ~NOTFOUND',
    `--log-net-log=${netLog}`,
    '--dump-dom',
    url,
  ]);
  assert.is(page.code, 0, page.stderr);
  const log = readFileSync(netLog, 'utf8');
  // The browser's own service calls (updates, time, accounts) are in the log whatever the page does.
  const own = /^https?:\/\/([^/]+\.)?(google\.com|googleapis\.com|gvt1\.com)\//;
  const requested = [...new Set([...log.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]!))].filter(
    (u) => /^(https?|wss?|ftp):/.test(u) && !own.test(u),
  );
  return { html: page.stdout, requested };
}
const dom = async (hash = '') => (await browse(`${pathToFileURL(REPORT).href}${hash}`)).html;

const count = (html: string, pattern: RegExp) => Number(pattern.exec(html)?.[1] ?? NaN);

report('it renders: the counts and the table match findings --json, and no script from the data runs', async () => {
  const { report: written, all } = await runs();
  assert.is(written.code, 0, written.stderr);
  const html = await dom();
  assert.match(html, `data-rendered="${all.length}"`);
  assert.is(count(html, /id="total">(\d+)</), all.length);
  assert.is(count(html, /data-severity-count="high">(\d+)</), all.filter((f) => f.severity === 'high').length);
  assert.is(
    count(html, /<tr data-detector="deleting-logs"><td>deleting-logs<\/td><td class="n">(\d+)</),
    all.filter((f) => f.detector === 'deleting-logs').length,
  );
  assert.is(html.match(/<tr class="finding"/g)?.length, all.length);
  // The hostile user agent is text in a cell, not an element; its handler never ran.
  assert.not.match(html, /<img/i);
  assert.not.match(html, /<body[^>]*data-pwned/);
  assert.match(html, '&lt;img src=x onerror=');
});

report(
  'it fetches nothing: no request leaves the page, its policy allows none, and it names no external resource',
  async () => {
    await runs();
    // The check can see a fetch: a page with one external image is caught.
    const control = join(TMP, 'control.html');
    writeFileSync(control, '<!doctype html><body><img src="http://203.0.113.9/x.png"></body>');
    assert.equal((await browse(pathToFileURL(control).href)).requested, ['http://203.0.113.9/x.png']);
    assert.equal((await browse(pathToFileURL(REPORT).href)).requested, []);
    const source = readFileSync(REPORT, 'utf8');
    assert.match(source, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
    assert.not.match(source, /<(link|img|iframe|object|embed)\b/i);
    assert.not.match(source, /<script[^>]*\bsrc=/i);
  },
);

report('a filter in the address narrows the table (the page is filterable offline)', async () => {
  const { all } = await runs();
  const html = await dom('#q=mallory&sort=eventTime&dir=asc');
  const rows = html.match(/<tr class="finding"/g)?.length;
  const mallory = all.filter((f) => String(f.principal).includes('mallory')).length;
  assert.ok(mallory >= 3 && mallory < all.length);
  assert.is(rows, mallory);
  assert.match(html, `${mallory} of ${all.length} shown`);
});

report.run();

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeSampleTrail } from '../../cli/demo/sample-trail.ts';
import { openLocalStore } from '../../cli/local/store.ts';
import { cli, ROOT, widest, writeManyObjects, type CliRun } from './run-cli.ts';

// The CLI as a user meets it: flags, exit codes, one-line errors, output widths. Every run is
// started once, when the first suite starts, two at a time, and shared by the tests.

// This process opens stores too (to hold one busy): the SDK's Node-version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const TMP = mkdtempSync(join(tmpdir(), 'trail-auditor-usage-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
const EMPTY_TRAIL = join(TMP, 'empty-trail');
const SAMPLE_TRAIL = join(TMP, 'sample-trail');
const MANY_TRAIL = join(TMP, 'many-trail');
const SCRATCH = join(TMP, 'scratch-store');
const TORN_STORE = join(TMP, 'torn-store');
const DEMO_CWD = join(TMP, 'demo-cwd');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const COMMANDS = ['demo', 'audit', 'findings', 'report', 'detectors', 'backfill'] as const;
const audit = (...args: string[]) => ['audit', '--trail', EMPTY_TRAIL, '--store', SCRATCH, ...args];

/** Arguments that must each give exit 2 and one line on stderr containing the text. */
const USAGE_ERRORS: [string, string[], string | RegExp][] = [
  ['audit without --trail', ['audit'], "required option '--trail"],
  [
    'an unknown option, with a suggestion',
    ['audit', '--trail', EMPTY_TRAIL, '--thread', '2'],
    /unknown option '--thread'.*Did you mean --threads\?/,
  ],
  [
    'a misspelt required option is an unknown option with a suggestion, not a missing one',
    ['audit', '--trial', EMPTY_TRAIL],
    /unknown option '--trial'.*Did you mean --trail\?/,
  ],
  [
    'backfill with a misspelt --state-machine',
    ['backfill', '--state-machin', 'x', '--from', '2017-11-28', '--to', '2017-11-29'],
    /Did you mean --state-machine\?/,
  ],
  ['an unknown command', ['audits'], /unknown command 'audits'.*Did you mean audit\?/],
  ['--threads abc', audit('--threads', 'abc'), "'--threads <n>' argument 'abc' is invalid"],
  ['--concurrency 0', audit('--concurrency', '0'), "'--concurrency <n>' argument '0' is invalid"],
  [
    '--from after --to, both dates shown as given',
    audit('--from', '2017-11-29', '--to', '2017-11-28'),
    /--from 2017-11-29 must be before --to 2017-11-28/,
  ],
  [
    '--from that is not a date',
    audit('--from', '28/11/2017', '--to', '2017-11-29'),
    '--from "28/11/2017" is not an ISO date',
  ],
  ['--from without --to', audit('--from', '2017-11-28'), '--from and --to go together'],
  [
    'an unknown --detector-alarm id',
    audit('--detector-alarm', 'deleting-log'),
    /unknown detector "deleting-log" \(did you mean deleting-logs\?\)/,
  ],
  [
    'backfill without --state-machine',
    ['backfill', '--from', '2017-11-28', '--to', '2017-11-29'],
    "required option '--state-machine",
  ],
  [
    'backfill --days-per-execution 0',
    ['backfill', '--state-machine', 'x', '--from', '2017-11-28', '--to', '2017-11-29', '--days-per-execution', '0'],
    'is invalid',
  ],
  [
    'backfill --from after --to',
    ['backfill', '--state-machine', 'x', '--from', '2017-11-29T10:00:00Z', '--to', '2017-11-29T09:00:00Z'],
    'must be before --to 2017-11-29T09:00:00Z',
  ],
];

function startAll() {
  mkdirSync(EMPTY_TRAIL, { recursive: true });
  // A torn last line in the metrics file, as a run killed mid-write leaves it.
  mkdirSync(TORN_STORE, { recursive: true });
  writeFileSync(
    join(TORN_STORE, 'metrics.jsonl'),
    '{"namespace":"TrailAuditor","name":"AnomaliesDetected","value":1,"unit":"Co',
  );
  mkdirSync(DEMO_CWD, { recursive: true });
  const trails = Promise.all([writeSampleTrail(SAMPLE_TRAIL), writeManyObjects(MANY_TRAIL, 410)]);
  return {
    version: cli(['--version']),
    help: Object.fromEntries([...COMMANDS.map((c) => [c, cli([c, '--help'])]), ['program', cli(['--help'])]]) as Record<
      string,
      Promise<CliRun>
    >,
    usage: USAGE_ERRORS.map(([, args]) => cli(args)),
    detectors: cli(['detectors']),
    detectorsNarrow: cli(['detectors'], { COLUMNS: '72' }),
    detectorsVerbose: cli(['detectors', '-v'], { COLUMNS: '60' }),
    torn: trails.then(() => cli(['audit', '--trail', SAMPLE_TRAIL, '--store', TORN_STORE, '--json'])),
    // Several work items, so Analyze runs in worker threads (200 objects a work item locally).
    threaded: trails.then(() =>
      cli(['audit', '--trail', MANY_TRAIL, '--store', join(TMP, 'many-store'), '--threads', '2']),
    ),
    demo: cli(['demo', '--json'], {}, DEMO_CWD),
  };
}

let started: ReturnType<typeof startAll> | undefined;
const runs = () => (started ??= startAll());

// ---------------------------------------------------------------------------------------------
const flags = suite('trail-auditor --version and --help');

flags('--version prints the package version and exits 0', async () => {
  const run = await runs().version;
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout.trim(), VERSION);
});

for (const command of [...COMMANDS, 'program']) {
  flags(`${command} --help ends with two or three examples`, async () => {
    const run = await runs().help[command]!;
    assert.is(run.code, 0, run.stderr);
    const examples = run.stdout.split('Examples:\n')[1] ?? '';
    const lines = examples
      .trim()
      .split('\n')
      .filter((line) => line.trim().startsWith('$ trail-auditor'));
    assert.ok(lines.length >= 2 && lines.length <= 3, `${command}: ${lines.length} examples\n${run.stdout}`);
    assert.ok(widest(run.stdout) <= 100 || command === 'program', `${command} --help is wider than 100 columns`);
  });
}

flags('required options say so in --help', async () => {
  assert.match((await runs().help.audit!).stdout, /--trail <dir\|s3:\/\/bucket\[\/prefix\]>\s+\(required\)/);
  const backfill = (await runs().help.backfill!).stdout;
  for (const option of ['--state-machine <arn|name>', '--from <iso>', '--to <iso>'])
    assert.match(backfill, new RegExp(`${option.replace(/[|[\]/]/g, '\\$&')}\\s+\\(required\\)`));
});

flags.run();

// ---------------------------------------------------------------------------------------------
const usage = suite('usage errors: exit 2 and one line');

USAGE_ERRORS.forEach(([name, _args, expected], i) => {
  usage(name, async () => {
    const run = await runs().usage[i]!;
    assert.is(run.code, 2, `exit ${run.code}: ${run.stderr}`);
    assert.is(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    assert.is(lines.length, 1, run.stderr);
    assert.ok(lines[0]!.startsWith('trail-auditor: '), lines[0]);
    if (typeof expected === 'string') assert.ok(lines[0]!.includes(expected), lines[0]);
    else assert.match(lines[0]!, expected);
  });
});

usage.run();

// ---------------------------------------------------------------------------------------------
const width = suite('detectors fits the terminal');

width('the table fits 100 columns when the width is unknown, cutting long titles with an ellipsis', async () => {
  const run = await runs().detectors;
  assert.is(run.code, 0, run.stderr);
  assert.ok(widest(run.stdout) <= 100, `widest line ${widest(run.stdout)}`);
  assert.match(run.stdout, 'deleting-logs');
});

width('the table fits $COLUMNS (72), titles cut with an ellipsis', async () => {
  const run = await runs().detectorsNarrow;
  assert.is(run.code, 0, run.stderr);
  assert.ok(widest(run.stdout) <= 72, `widest line ${widest(run.stdout)}`);
  assert.match(run.stdout, '…');
});

width('-v wraps every field to the width (60) and keeps every word', async () => {
  const run = await runs().detectorsVerbose;
  assert.is(run.code, 0, run.stderr);
  assert.ok(widest(run.stdout) <= 60, `widest line ${widest(run.stdout)}`);
  assert.not.match(run.stdout, '…');
  for (const id of ['deleting-logs', 'instance-creds-used-outside-ec2', 'ec2-instance-credentials-off-instance'])
    assert.match(run.stdout, `${id} — `);
});

width.run();

// ---------------------------------------------------------------------------------------------
const runsSuite = suite('audit output on long runs and damaged stores');

runsSuite(
  'a run in worker threads prints no SDK warning and no carriage return when stderr is not a terminal; it ends with duration and throughput',
  async () => {
    const run = await runs().threaded;
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stderr, '');
    assert.not.match(run.stdout, '\r');
    assert.match(run.stdout, /\n {2}took {6}\d+\.\d s: 410 objects, 410 records \([\d,]+ records\/s, [\d.]+ MB\/s\)\n/);
  },
);

runsSuite(
  'a torn last line of metrics.jsonl is skipped and reported; the audit succeeds and the alarm still counts',
  async () => {
    const run = await runs().torn;
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stderr, /^trail-auditor: skipped 1 unreadable line\(s\) of .*metrics\.jsonl/);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { status: string; alarm: { state: string } };
    assert.is(summary.status, 'SUCCEEDED');
    assert.is(summary.alarm.state, 'ALARM');
  },
);

runsSuite('a store in use by another process: one line naming the store, exit 1, no stack trace', async () => {
  const dir = join(TMP, 'busy-store');
  const store = await openLocalStore(dir);
  try {
    const run = await cli(['audit', '--trail', EMPTY_TRAIL, '--store', dir]);
    assert.is(run.code, 1);
    assert.is(
      run.stderr,
      `trail-auditor: store ${dir}: is in use by another trail-auditor process (one process at a time per store); wait for it to finish, or use another --store\n`,
    );
  } finally {
    await store.close();
  }
});

runsSuite('a damaged store: one line saying so, exit 1', async () => {
  const dir = join(TMP, 'damaged-store');
  await (await openLocalStore(dir)).close();
  writeFileSync(join(dir, 'dynamodb', 'CURRENT'), 'MANIFEST-999999\n');
  const run = await cli(['audit', '--trail', EMPTY_TRAIL, '--store', dir]);
  assert.is(run.code, 1);
  assert.is(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, `trail-auditor: store ${dir}: is damaged or unreadable (`);
});

runsSuite('the demo keeps its own store (.trail-auditor/demo), apart from the default audit store', async () => {
  const run = await runs().demo;
  assert.is(run.code, 0, run.stderr);
  assert.ok(existsSync(join(DEMO_CWD, '.trail-auditor', 'demo', 'dynamodb')));
  assert.not.ok(existsSync(join(DEMO_CWD, '.trail-auditor', 'dynamodb')));
});

runsSuite.run();

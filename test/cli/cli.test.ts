import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeSampleTrail } from '../../cli/demo/sample-trail.ts';

// The real CLI, as a user runs it: `node cli/bin.js ...` in the package folder. Each run costs a
// second or two of start-up, so every run is started once, two at a time (the machines have two
// cores), when the first suite starts, and shared by the tests that look at it. The sample trail
// for `audit` is written by the test itself (its files keep their 2017 mtimes).

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TMP = mkdtempSync(join(tmpdir(), 'trail-auditor-cli-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
const DEMO_STORE = join(TMP, 'demo-store');
const AUDIT_STORE = join(TMP, 'audit-store');
const SCRATCH_STORE = join(TMP, 'scratch-store');
const TRAIL = join(TMP, 'trail');
const SIGMA = join(TMP, 'sigma');
const SIGMA_STORE = join(TMP, 'sigma-store');

/** A Sigma folder with one rule that loads and one whose file name and reason carry an ANSI escape. */
function writeSigmaFolder(): void {
  mkdirSync(SIGMA, { recursive: true });
  const rule = (title: string, selection: string) =>
    `title: ${title}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    ${selection}\n  condition: selection\n`;
  writeFileSync(join(SIGMA, 'good.yml'), rule('Trail Stopped', 'eventName: StopLogging'));
  writeFileSync(join(SIGMA, 'bad\u001b[2J.yml'), rule('Bad', "'sourceIPAddress|windash\u001b[31m': x"));
}

// Snapshot now, without endpoint overrides another test file may set while these runs start.
const ENV = { ...process.env };
for (const name of [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_CLOUDWATCH',
])
  delete ENV[name];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const limit = pLimit(2);

function cli(args: string[]): Promise<CliRun> {
  return limit(
    () =>
      new Promise<CliRun>((done) => {
        execFile(
          process.execPath,
          ['cli/bin.js', ...args],
          { cwd: ROOT, env: ENV, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
            done({ code, stdout, stderr });
          },
        );
      }),
  );
}

/** The JSON object on the last non-empty line of stdout. */
function lastJson(run: CliRun): Record<string, any> {
  const line = run.stdout.trimEnd().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, any>;
  } catch {
    throw new Error(`last stdout line is not JSON (exit ${run.code}):\n${run.stdout}\n--- stderr:\n${run.stderr}`);
  }
}

const COMMANDS = ['demo', 'audit', 'findings', 'detectors', 'backfill'] as const;

function startAll() {
  const demo = ['demo', '--json', '--store', DEMO_STORE];
  const scheduled = ['audit', '--trail', TRAIL, '--json', '--store', AUDIT_STORE];
  // The longest chains first. One store, one process at a time (dynalite's LevelDB lock): the
  // runs on each store are chained.
  const demoFirst = cli(demo);
  const scheduledFirst = cli(scheduled);
  const demoSecond = demoFirst.then(() => cli(demo));
  const findings = demoSecond.then(() =>
    cli(['findings', '--store', DEMO_STORE, '--json', '--detector', 'deleting-logs']),
  );
  const scheduledSecond = scheduledFirst.then(() => cli(scheduled));
  writeSigmaFolder();
  const sigmaLenient = scheduledSecond.then(() =>
    cli([
      'audit',
      '--trail',
      TRAIL,
      '--from',
      '2017-11-28',
      '--to',
      '2017-11-28',
      '--json',
      '--store',
      SIGMA_STORE,
      '--sigma',
      SIGMA,
    ]),
  );
  const sigmaStrict = cli([
    'audit',
    '--trail',
    TRAIL,
    '--json',
    '--store',
    SCRATCH_STORE,
    '--sigma',
    SIGMA,
    '--strict-sigma',
  ]);
  const help = Object.fromEntries(COMMANDS.map((command) => [command, cli([command, '--help'])])) as Record<
    (typeof COMMANDS)[number],
    Promise<CliRun>
  >;
  return {
    help,
    demoFirst,
    demoSecond,
    findings,
    scheduledFirst,
    scheduledSecond,
    sigmaLenient,
    sigmaStrict,
    detectors: cli(['detectors', '--json']),
    reversedRange: cli([
      'audit',
      '--trail',
      TRAIL,
      '--from',
      '2017-11-29',
      '--to',
      '2017-11-28',
      '--store',
      SCRATCH_STORE,
    ]),
    missingTo: cli(['audit', '--trail', TRAIL, '--from', 'x', '--store', SCRATCH_STORE]),
  };
}

let started: ReturnType<typeof startAll> | undefined;
const runs = () => (started ??= startAll());

// ---------------------------------------------------------------------------------------------

const OPTIONS: Record<(typeof COMMANDS)[number], string[]> = {
  demo: ['--store', '--json', '--sigma', '--strict-sigma', '--suppressions', '--aws-ip-ranges', '--detector-alarm'],
  audit: [
    '--trail',
    '--from',
    '--to',
    '--accounts',
    '--regions',
    '--store',
    '--concurrency',
    '--json',
    '--sigma',
    '--strict-sigma',
    '--suppressions',
  ],
  findings: [
    '--store',
    '--table',
    '--detector',
    '--accounts',
    '--account',
    '--principal',
    '--run',
    '--status',
    '--severity',
    '--from',
    '--to',
    '--limit',
    '--group',
    '--format',
    '--json',
  ],
  detectors: ['--sigma', '--verbose', '--json'],
  backfill: ['--state-machine', '--from', '--to', '--accounts', '--regions', '--wait', '--json'],
};

const help = suite('trail-auditor <command> --help');

help.before(async () => {
  await writeSampleTrail(TRAIL);
  runs();
});

for (const command of COMMANDS) {
  help(`${command} --help prints its usage and names its options`, async () => {
    const run = await runs().help[command];
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, `Usage: trail-auditor ${command} [options]`);
    for (const option of OPTIONS[command])
      assert.ok(
        run.stdout.includes(`${option} `) || run.stdout.includes(`${option}\n`),
        `${command} --help does not name ${option}`,
      );
  });
}

help.run();

// ---------------------------------------------------------------------------------------------

const demo = suite('trail-auditor demo');

demo('--json ends with a summary: succeeded, findings new, the workshop alarm in ALARM', async () => {
  const run = await runs().demoFirst;
  assert.is(run.code, 0, run.stderr);
  const summary = lastJson(run);
  assert.is(summary.status, 'SUCCEEDED');
  assert.is(summary.mode, 'backfill');
  assert.ok(summary.findings.new > 0, `findings.new ${summary.findings.new}`);
  assert.is(summary.findings.byDetector['deleting-logs'], 3);
  // One finding per (instance, address): the stolen credentials' address, judged by Correlate.
  assert.is(summary.findings.byDetector['ec2-instance-credentials-off-instance'], 1);
  assert.is(summary.objects.failed, 0);
  assert.is(summary.complete, true);
  assert.is(summary.alarm.name, 'AnomaliesDetected');
  assert.is(summary.alarm.state, 'ALARM');
});

demo('--json keeps stderr clean (no SDK Node-version warning, no progress)', async () => {
  const run = await runs().demoFirst;
  assert.is(run.stderr.trim(), '');
});

demo('a second run on the same store finds nothing new: every finding is a duplicate', async () => {
  const first = lastJson(await runs().demoFirst);
  const run = await runs().demoSecond;
  assert.is(run.code, 0, run.stderr);
  const second = lastJson(run);
  assert.is(second.status, 'SUCCEEDED');
  assert.is(second.findings.new, 0);
  assert.is(second.findings.duplicate, first.findings.new);
  assert.equal(second.findings.byDetector, {});
});

demo.run();

// ---------------------------------------------------------------------------------------------

const findings = suite('trail-auditor findings');

findings('--json --detector prints one finding a line, newest first, that detector only', async () => {
  const run = await runs().findings;
  assert.is(run.code, 0, run.stderr);
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(
    lines.map((f) => f.eventName),
    ['DeleteTrail', 'DeleteLogGroup', 'StopLogging'],
  );
  for (const finding of lines) {
    assert.is(finding.detector, 'deleting-logs');
    assert.is(finding.account, '123456789012');
    assert.is(finding.id, `deleting-logs#${String(finding.eventID)}`);
    assert.match(String(finding.objectKey), /^AWSLogs\/123456789012\/CloudTrail\/us-east-1\/2017\/11\/28\//);
    assert.type(finding.runId, 'string');
    // The record as an object, so scripts need no second parse.
    assert.type(finding.record, 'object');
  }
});

findings.run();

// ---------------------------------------------------------------------------------------------

const audit = suite('trail-auditor audit');

audit('a backfill whose --from is after --to is refused, exit non-zero, saying it must be before', async () => {
  const run = await runs().reversedRange;
  assert.ok(run.code !== 0 && run.code !== null, `exit ${run.code}`);
  assert.match(run.stderr, 'before');
  assert.is(run.stdout.trim(), '');
});

audit('--from without --to exits 2 and says they go together', async () => {
  const run = await runs().missingTo;
  assert.is(run.code, 2);
  assert.match(run.stderr, '--from and --to go together');
});

audit('a first scheduled run audits the whole folder and finds what the demo found', async () => {
  const demoSummary = lastJson(await runs().demoFirst);
  const run = await runs().scheduledFirst;
  assert.is(run.code, 0, run.stderr);
  const summary = lastJson(run);
  assert.is(summary.mode, 'scheduled');
  assert.is(summary.status, 'SUCCEEDED');
  // No checkpoint yet, and locally no look-back limit: the sample's 2017 files are all in.
  assert.is(summary.window.start, null);
  assert.is(summary.objects.analyzed, demoSummary.objects.analyzed);
  assert.is(summary.findings.new, demoSummary.findings.new);
  assert.equal(summary.findings.byDetector, demoSummary.findings.byDetector);
  assert.is(summary.alarm.state, 'ALARM');
});

audit('the next scheduled run lists the folder again and analyzes nothing: every key is in the ledger', async () => {
  const first = lastJson(await runs().scheduledFirst);
  const run = await runs().scheduledSecond;
  assert.is(run.code, 0, run.stderr);
  const summary = lastJson(run);
  assert.is(summary.status, 'SUCCEEDED');
  assert.is(summary.window.start, null);
  assert.is(summary.objects.listed, first.objects.listed);
  assert.is(summary.objects.analyzed, 0);
  assert.is(summary.findings.new, 0);
});

audit.run();

// ---------------------------------------------------------------------------------------------

const detectors = suite('trail-auditor detectors');

detectors('--json lists every detector with its ATT&CK technique, the workshop\u2019s two included', async () => {
  const run = await runs().detectors;
  assert.is(run.code, 0, run.stderr);
  const list = JSON.parse(run.stdout) as { id: string; kind: string; mitre: { id: string; name: string } }[];
  const byId = new Map(list.map((d) => [d.id, d]));
  assert.is(byId.size, list.length, 'detector ids are not unique');
  assert.is(byId.get('deleting-logs')?.mitre.id, 'T1562.008');
  assert.is(byId.get('instance-creds-used-outside-ec2')?.mitre.id, 'T1552.005');
  assert.is(byId.get('ec2-instance-credentials-off-instance')?.kind, 'correlating');
  for (const d of list) assert.match(d.mitre.id, /^T\d{4}(\.\d{3})?$/, `${d.id}: ${d.mitre.id}`);
});

detectors.run();

// ---------------------------------------------------------------------------------------------

const sigma = suite('trail-auditor audit --sigma');

sigma('runs the rules it can load and names each refused rule on stderr, escaped, and in the summary', async () => {
  const run = await runs().sigmaLenient;
  assert.is(run.code, 0, run.stderr);
  const summary = lastJson(run);
  assert.is(summary.status, 'SUCCEEDED');
  assert.is(summary.sigma.loaded, 1);
  assert.equal(
    summary.sigma.refused.map((refusal: { file: string }) => refusal.file),
    [join(SIGMA, 'bad\u001b[2J.yml')],
  );
  assert.is(summary.findings.byDetector['sigma-trail-stopped'], 1);
  const lines = run.stderr.split('\n').filter((line) => line.startsWith('sigma: '));
  assert.equal(lines, [
    `sigma: refused ${join(SIGMA, 'bad\\x1b[2J.yml')}: unknown modifier 'windash\\x1b[31m' on field sourceIPAddress in selection 'selection'`,
  ]);
  assert.not.ok(run.stderr.includes('\u001b'), 'a raw escape reached the terminal');
});

sigma('--strict-sigma makes a refused rule fatal: exit 2 before the audit starts', async () => {
  const run = await runs().sigmaStrict;
  assert.is(run.code, 2, run.stdout);
  assert.match(run.stderr, "unknown modifier 'windash");
  assert.is(run.stdout, '');
});

sigma.run();

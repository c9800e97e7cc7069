import { resolve } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { Command, CommanderError } from 'commander';
import { ConfigError, InvalidInputError, RuleLoadError, messageOf } from '../functions/core/errors.ts';
import { loadDetectors } from '../functions/detectors/load.ts';
import { SAMPLE, writeSampleTrail } from './demo/sample-trail.ts';
import { escapeControl, formatDetectors } from './format.ts';
import type { LocalAuditRequest } from './local/audit.ts';
import { StoreError } from './local/store.ts';
import {
  USAGE_EXIT_CODE,
  UsageError,
  checkRange,
  commanderExitCode,
  examples,
  list,
  oneLineUsageErrors,
  outputWidth,
  requiredOption,
  wholeNumber,
} from './options.ts';
import { registerFindingsCommand } from './commands/findings.ts';
import { registerReportCommand } from './commands/report.ts';
import { commonRequest, runAudit } from './commands/run-audit.ts';

const DEFAULT_STORE = '.trail-auditor';
/** The demo's own store, so its 2017 sample findings never mix with the user's audits. */
const DEMO_STORE = '.trail-auditor/demo';
// Bundled into the compiled CLI, so the version is right wherever the command is installed.
const VERSION = packageJson.version;

const program = oneLineUsageErrors(
  new Command()
    .name('trail-auditor')
    .description(
      'Audits AWS CloudTrail logs for attack signals: locally over a folder, or in AWS through the deployed state machine.',
    )
    .version(VERSION, '-V, --version', 'print the version'),
);
// `trail-auditor detectors | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

examples(program, [
  'trail-auditor demo',
  'trail-auditor audit --trail ./trail',
  'trail-auditor audit --trail ./trail --from 2017-11-28 --to 2017-11-29 --json',
]);

/** Account and region filters, the same for a local audit and a deployed backfill. */
function scopeOptions(command: Command): Command {
  return command
    .option('--accounts <ids>', 'only these 12-digit account ids (comma-separated)', list)
    .option('--regions <names>', 'only these regions (comma-separated)', list);
}

function ruleOptions(command: Command): Command {
  return command
    .option('--sigma <dir>', 'also evaluate the Sigma rules (product aws, service cloudtrail) in this folder')
    .option(
      '--strict-sigma',
      'stop (exit 2) when a Sigma rule cannot be loaded, instead of running the rest and listing it',
    )
    .option('--suppressions <file>', 'suppression file (YAML or JSON): matches it silences are counted, not stored')
    .option(
      '--aws-ip-ranges <file>',
      "AWS's published ip-ranges.json, extra evidence for ec2-instance-credentials-off-instance",
    )
    .option('--detector-alarm <ids>', 'comma-separated detector ids that get an alarm of their own', list);
}

examples(
  ruleOptions(
    program
      .command('demo')
      .description(
        "Writes a sample trail that replays the re:Invent 2017 SID 341 workshop's attack amid ordinary traffic, audits it, and prints the findings and the alarm state (what `npm start` runs).",
      )
      .option('--store <dir>', 'local store folder of the demo (kept apart from your own audits)', DEMO_STORE)
      .option('--json', 'print the run summary as one JSON object on the last line'),
  ),
  ['trail-auditor demo', 'trail-auditor demo --json | tail -n 1', 'trail-auditor demo --detector-alarm deleting-logs'],
).action(async (options) => {
  const store = resolve(options.store);
  const trail = resolve(store, 'sample-trail');
  await writeSampleTrail(trail);
  if (!options.json) {
    console.log(`Sample trail written to ${trail}`);
    console.log(`Auditing it as a backfill of ${SAMPLE.from} .. ${SAMPLE.to} (store: ${store})\n`);
  }
  const code = await runAudit(
    { ...commonRequest(options, store), trail, input: { mode: 'backfill', from: SAMPLE.from, to: SAMPLE.to } },
    options,
    {
      showFindings: true,
    },
  );
  if (!options.json) {
    console.log(`
What happened: a generator created a log group and a trail, used an EC2 instance's stolen role
credentials from its own address (${SAMPLE.attackerAddress}) for ListObjects and GetBucketPolicy, stopped
logging, then deleted the log group and the trail. The instance's own calls from ${SAMPLE.instanceAddress} are
matched by the workshop's instance-creds-used-outside-ec2 rule (its known weakness) but not by
ec2-instance-credentials-off-instance. Run it again: every finding is already stored, so 0 are new.
Next: npx trail-auditor findings --store ${options.store}  |  npx trail-auditor audit --trail ./trail`);
  }
  process.exitCode = code;
});

examples(
  ruleOptions(
    requiredOption(
      scopeOptions(program.command('audit')).description(
        'Audits a trail on this machine. With --from/--to: a backfill of that range; without: a scheduled run over the objects new since the last run in this store.',
      ),
      '--trail <dir|s3://bucket[/prefix]>',
      'a folder synced from the trail bucket (aws s3 sync s3://<trail-bucket> ./trail) or an S3 URL (AWS, or AWS_ENDPOINT_URL_S3)',
    )
      .option('--from <iso>', 'backfill start: ISO date or date-time (inclusive)')
      .option('--to <iso>', 'backfill end: ISO date-time (exclusive) or date (that whole day included)')
      .option('--store <dir>', 'local store folder (findings, run state, metrics)', DEFAULT_STORE)
      .option('--concurrency <n>', 'work items analyzed at once', wholeNumber(1, 10_000))
      .option(
        '--threads <n>',
        'worker threads for Analyze when a run has several work items (0: this thread only; default: 2 per core)',
        wholeNumber(0, 256),
      )
      .option('--json', 'print the run summary as one JSON object on the last line of stdout'),
  ),
  [
    'trail-auditor audit --trail ./trail',
    'trail-auditor audit --trail ./trail --from 2017-11-28 --to 2017-11-28 --regions us-east-1',
    'trail-auditor audit --trail s3://my-trail-bucket --sigma ./rules --json',
  ],
).action(async (options) => {
  const range = checkRange(options.from, options.to);
  const input: Record<string, unknown> = range ? { mode: 'backfill', ...range } : { mode: 'scheduled' };
  if (options.accounts) input.accounts = options.accounts;
  if (options.regions) input.regions = options.regions;
  const request: LocalAuditRequest = { ...commonRequest(options, resolve(options.store)), trail: options.trail, input };
  const config: Record<string, number> = {};
  if (options.concurrency !== undefined) config.mapConcurrency = options.concurrency;
  request.config = config;
  if (options.threads !== undefined) request.threads = options.threads;
  process.exitCode = await runAudit(request, options, { showFindings: false });
});

registerFindingsCommand(program, DEFAULT_STORE);
registerReportCommand(program, DEFAULT_STORE);

examples(
  program
    .command('detectors')
    .description('Lists the detectors with their metadata (severity, MITRE ATT&CK technique, how failed calls count).')
    .option('--sigma <dir>', 'include the Sigma rules in this folder')
    .option('-v, --verbose', 'every field: description, weaknesses, false positives, runbook, references')
    .option('--json', 'the metadata as JSON'),
  [
    'trail-auditor detectors',
    'trail-auditor detectors -v --sigma ./rules',
    "trail-auditor detectors --json | jq -r '.[].id'",
  ],
).action(async (options) => {
  const detectors = await loadDetectors(options.sigma ? { sigmaDir: options.sigma } : {});
  if (options.json)
    console.log(
      JSON.stringify(
        detectors.map((d) => ({ kind: d.kind, ...d.meta })),
        null,
        2,
      ),
    );
  else console.log(formatDetectors(detectors, Boolean(options.verbose), outputWidth()));
});

examples(
  (
    [
      ['--state-machine <arn|name>', 'the auditor state machine, by ARN or name'],
      ['--from <iso>', 'start: ISO date or date-time (inclusive)'],
      ['--to <iso>', 'end: ISO date-time (exclusive) or date (that whole day included)'],
    ] as const
  )
    .reduce(
      (command, [flags, description]) => requiredOption(command, flags, description),
      scopeOptions(program.command('backfill')).description(
        'Starts a backfill execution of the deployed state machine (standard AWS credentials and region).',
      ),
    )
    .option(
      '--days-per-execution <n>',
      'split longer ranges into several executions of at most this many days',
      wholeNumber(1, 3660),
      30,
    )
    .option('--wait', 'follow the execution(s) and print the run summary')
    .option('--json', 'print the summary as JSON'),
  [
    'trail-auditor backfill --state-machine TrailAuditor --from 2017-11-01 --to 2017-11-30',
    'trail-auditor backfill --state-machine TrailAuditor --from 2017-11-28 --to 2017-11-28 --wait',
  ],
).action(async (options) => {
  checkRange(options.from, options.to, true);
  const { startBackfill } = await import('./aws.ts');
  process.exitCode = await startBackfill(options);
});

/** Errors that mean "these arguments or input files cannot be run": exit 2, like commander's own. */
const USAGE_ERRORS = [UsageError, InvalidInputError, RuleLoadError, ConfigError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Already printed (one line) by commander, or help/version.
    process.exitCode = commanderExitCode(error);
  } else {
    const usage = USAGE_ERRORS.some((type) => error instanceof type);
    // One line, control characters escaped; the stack only on request.
    const text =
      usage || error instanceof StoreError
        ? messageOf(error)
        : `${(error as Error).name ?? 'Error'}: ${messageOf(error)}`;
    console.error(`trail-auditor: ${escapeControl(text)}`);
    if (process.env.TRAIL_AUDITOR_DEBUG) console.error(error);
    process.exitCode = usage ? USAGE_EXIT_CODE : 1;
  }
}

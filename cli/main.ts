import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { queryFindings } from '../functions/adapters/findings-query.ts';
import { InvalidInputError, RuleLoadError, messageOf } from '../functions/core/errors.ts';
import { loadDetectors } from '../functions/detectors/load.ts';
import { SAMPLE, writeSampleTrail } from './demo/sample-trail.ts';
import { formatDetectors, formatFindings, formatSummary, summaryJson } from './format.ts';
import { escapeControls, localAudit, sigmaReportLines, type LocalAuditRequest } from './local/audit.ts';
import { LOCAL_TABLES, openLocalStore } from './local/store.ts';
import { startBackfill } from './aws.ts';
import { registerFindingsCommand } from './commands/findings.ts';
import { registerReportCommand } from './commands/report.ts';

const DEFAULT_STORE = '.trail-auditor';

const program = new Command()
  .name('trail-auditor')
  .description('Audits AWS CloudTrail logs for attack signals: locally over a folder, or in AWS through the deployed state machine.')
  .showHelpAfterError();

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** Account and region filters, the same for a local audit and a deployed backfill. */
function scopeOptions(command: Command): Command {
  return command
    .option('--accounts <ids>', 'only these 12-digit account ids (comma-separated)', list)
    .option('--regions <names>', 'only these regions (comma-separated)', list);
}

function ruleOptions(command: Command): Command {
  return command
    .option('--sigma <dir>', 'also evaluate the Sigma rules (product aws, service cloudtrail) in this folder')
    .option('--strict-sigma', 'stop (exit 2) when a Sigma rule cannot be loaded, instead of running the rest and listing it')
    .option('--suppressions <file>', 'suppression file (YAML or JSON): matches it silences are counted, not stored')
    .option('--aws-ip-ranges <file>', "AWS's published ip-ranges.json, extra evidence for ec2-instance-credentials-off-instance")
    .option('--detector-alarm <ids>', 'comma-separated detector ids that get an alarm of their own', list);
}

ruleOptions(
  program
    .command('demo')
    .description("Writes a sample trail that replays the re:Invent 2017 SID 341 workshop's attack amid ordinary traffic, audits it, and prints the findings and the alarm state (what `npm start` runs).")
    .option('--store <dir>', 'local store folder (findings, run state, metrics)', DEFAULT_STORE)
    .option('--json', 'print the run summary as one JSON object on the last line'),
).action(async (options) => {
  const store = resolve(options.store);
  const trail = resolve(store, 'sample-trail');
  await writeSampleTrail(trail);
  if (!options.json) {
    console.log(`Sample trail written to ${trail}`);
    console.log(`Auditing it as a backfill of ${SAMPLE.from} .. ${SAMPLE.to} (store: ${store})\n`);
  }
  const code = await runAudit({ ...commonRequest(options, store), trail, input: { mode: 'backfill', from: SAMPLE.from, to: SAMPLE.to } }, options, {
    showFindings: true,
  });
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

ruleOptions(
  scopeOptions(program.command('audit'))
    .description('Audits a trail on this machine. With --from/--to: a backfill of that range; without: a scheduled run over the objects new since the last run in this store.')
    .requiredOption('--trail <dir|s3://bucket[/prefix]>', 'a folder synced from the trail bucket (aws s3 sync s3://<trail-bucket> ./trail) or an S3 URL (AWS, or AWS_ENDPOINT_URL_S3)')
    .option('--from <iso>', 'backfill start: ISO date or date-time (inclusive)')
    .option('--to <iso>', 'backfill end: ISO date-time (exclusive) or date (that whole day included)')
    .option('--store <dir>', 'local store folder (findings, run state, metrics)', DEFAULT_STORE)
    .option('--concurrency <n>', 'work items analyzed at once', Number)
    .option('--threads <n>', 'worker threads for Analyze when a run has several work items (0: this thread only; default: 2 per core)', Number)
    .option('--json', 'print the run summary as one JSON object on the last line of stdout'),
).action(async (options) => {
  if (Boolean(options.from) !== Boolean(options.to)) fail('--from and --to go together: give both for a backfill, or neither for a scheduled run');
  const input: Record<string, unknown> = options.from ? { mode: 'backfill', from: options.from, to: options.to } : { mode: 'scheduled' };
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

program
  .command('detectors')
  .description('Lists the detectors with their metadata (severity, MITRE ATT&CK technique, how failed calls count).')
  .option('--sigma <dir>', 'include the Sigma rules in this folder')
  .option('-v, --verbose', 'every field: description, weaknesses, false positives, runbook, references')
  .option('--json', 'the metadata as JSON')
  .action(async (options) => {
    const detectors = await loadDetectors(options.sigma ? { sigmaDir: options.sigma } : {});
    if (options.json) console.log(JSON.stringify(detectors.map((d) => ({ kind: d.kind, ...d.meta })), null, 2));
    else console.log(formatDetectors(detectors, Boolean(options.verbose)));
  });

scopeOptions(program.command('backfill'))
  .description('Starts a backfill execution of the deployed state machine (standard AWS credentials and region).')
  .requiredOption('--state-machine <arn|name>', 'the auditor state machine, by ARN or name')
  .requiredOption('--from <iso>', 'start: ISO date or date-time (inclusive)')
  .requiredOption('--to <iso>', 'end: ISO date-time (exclusive) or date (that whole day included)')
  .option('--days-per-execution <n>', 'split longer ranges into several executions of at most this many days', Number, 30)
  .option('--wait', 'follow the execution(s) and print the run summary')
  .option('--json', 'print the summary as JSON')
  .action(async (options) => {
    process.exitCode = await startBackfill(options);
  });

function commonRequest(options: Record<string, unknown>, store: string): Omit<LocalAuditRequest, 'trail' | 'input'> {
  const request: Omit<LocalAuditRequest, 'trail' | 'input'> = { store };
  if (typeof options.sigma === 'string') request.sigmaDir = options.sigma;
  if (options.strictSigma === true) request.strictSigma = true;
  if (typeof options.suppressions === 'string') request.suppressionsFile = options.suppressions;
  if (typeof options.awsIpRanges === 'string') request.awsIpRangesFile = options.awsIpRanges;
  if (Array.isArray(options.detectorAlarm)) request.detectorAlarms = options.detectorAlarm as string[];
  return request;
}

async function runAudit(request: LocalAuditRequest, options: { json?: boolean }, show: { showFindings: boolean }): Promise<number> {
  const started = Date.now();
  if (process.stderr.isTTY || !options.json) {
    request.onProgress = (done, planned) => {
      // Progress goes to stderr so stdout stays a clean report; only long runs need it.
      if (planned > 1 && Date.now() - started > 2000) process.stderr.write(`\r  analyzed ${done}/${planned} work items`);
    };
  }
  let audit: Awaited<ReturnType<typeof localAudit>>;
  try {
    audit = await localAudit(request);
  } catch (error) {
    if (!(error instanceof RuleLoadError)) throw error;
    // Rule files and reasons come from the user's folder: escaped, like every other rule line.
    console.error(`trail-auditor: ${escapeControls(error.file)}: ${escapeControls(error.reason)}`);
    return 2;
  }
  const { result, detectors, sigma } = audit;
  if (Date.now() - started > 2000) process.stderr.write('\n');
  for (const line of sigmaReportLines(sigma)) process.stderr.write(`${line}\n`);
  const sigmaSummary = { loaded: sigma.loaded, refused: sigma.refused, warnings: sigma.warnings };
  if (options.json) {
    const summary = summaryJson(result.summary, result.runId, String(request.input.mode), result.status, result.alarms, result.error);
    console.log(JSON.stringify(request.sigmaDir ? { ...summary, sigma: sigmaSummary } : summary));
  } else {
    console.log(formatSummary(result.summary, result.status, result.alarms, result.error));
    if (request.sigmaDir) console.log(`Sigma rules: ${sigma.loaded} loaded, ${sigma.refused.length} refused, ${sigma.warnings.length} can never match (listed on stderr)`);
    if (show.showFindings && result.summary) {
      const store = await openLocalStore(request.store);
      try {
        const found = await queryFindings(store.client, LOCAL_TABLES.findings, { since: SAMPLE.from, until: SAMPLE.to, limit: 1000 }, detectors.map((d) => d.meta.id));
        console.log(`\nFindings stored for the sample trail (${found.length}):\n${formatFindings(found)}`);
      } finally {
        await store.close();
      }
    }
  }
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

function fail(message: string): never {
  console.error(`trail-auditor: ${message}`);
  process.exit(2);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const known = error instanceof InvalidInputError || (error as Error).name?.endsWith('Error');
  console.error(`trail-auditor: ${known ? messageOf(error) : String(error)}`);
  process.exitCode = 2;
}

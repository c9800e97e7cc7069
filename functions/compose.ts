/**
 * The one composition root: builds the four steps of the state machine from an environment. The
 * Lambda handlers (through {@link awsStep}), the local runner, its worker threads and the benchmark
 * all call it, so a step is assembled in exactly one place and the rules are loaded and checked
 * once per process.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAggregateStore } from './adapters/aggregates.ts';
import { stateTableAwsRanges } from './adapters/aws-ip-ranges.ts';
import { cloudWatchClient, documentClient, s3Client } from './adapters/clients.ts';
import { CloudWatchMetrics } from './adapters/cloudwatch.ts';
import { DynamoFindingsCounter, DynamoFindingsStore } from './adapters/findings-store.ts';
import { DynamoRunStore } from './adapters/run-store.ts';
import { S3Trail } from './adapters/s3.ts';
import { analyzeStep, type Suppressor } from './analyze/analyze.ts';
import {
  aggregateTtlDaysFromEnv,
  awsIpRangesUrlFromEnv,
  configFromEnv,
  requireEnv,
  ruleFilesFromEnv,
  type AuditConfig,
} from './core/config.ts';
import type { AwsRangesSource } from './core/aws-ranges.ts';
import type { Detector } from './core/detector.ts';
import type {
  BatchResult,
  CorrelateItem,
  CorrelateResult,
  PlanEvent,
  PlanOutput,
  PublishEvent,
  RunSummary,
  WorkItem,
} from './core/payloads.ts';
import type {
  AggregateStore,
  FindingsCounter,
  FindingsStore,
  MetricsSink,
  ObjectReader,
  RunStore,
  TrailLister,
} from './core/ports.ts';
import { loadSuppressions } from './core/suppressions.ts';
import { correlateStep } from './correlate/correlate.ts';
import { loadDetectorSet, type DetectorSources, type SigmaLoadReport } from './detectors/load.ts';
import { detectorsWithAwsRanges } from './detectors/with-aws-ranges.ts';
import { planStep } from './plan/plan.ts';
import { publishStep } from './publish/publish.ts';

/** The rule files of a run: Sigma folder, evidence files and the suppression file. */
export interface RuleSources extends DetectorSources {
  suppressionsFile?: string;
}

/** The rules of a run, loaded and checked once. */
export interface RuleSet {
  detectors: Detector[];
  suppressor?: Suppressor;
  /** What the Sigma folder gave (loaded, refused, warnings). */
  sigma: SigmaLoadReport;
}

/**
 * Loads the detectors, then the suppressions checked against those detectors' ids, so a
 * suppression naming a detector that does not exist is refused (with its file and rule) wherever
 * the rules are loaded: CLI, worker, Lambda.
 */
export async function loadRuleSet(sources: RuleSources = {}): Promise<RuleSet> {
  const { detectors, sigma } = await loadDetectorSet(sources);
  if (!sources.suppressionsFile) return { detectors, sigma };
  const suppressor = await loadSuppressions(sources.suppressionsFile, { detectorIds: detectors.map((d) => d.meta.id) });
  return { detectors, suppressor, sigma };
}

/** The run state, findings and correlation stores the steps use. */
export interface Stores {
  runs: RunStore;
  findings: FindingsStore;
  counter: FindingsCounter;
  aggregates: AggregateStore;
}

/** The two DynamoDB tables (deployed, or dynalite locally) behind the store ports. */
export function dynamoStores(
  client: DynamoDBDocumentClient,
  tables: { findings: string; state: string },
  options: { aggregateTtlDays?: number; now?: () => Date } = {},
): Stores {
  const now = options.now ?? (() => new Date());
  return {
    runs: new DynamoRunStore(client, tables.state, now),
    findings: new DynamoFindingsStore(client, tables.findings),
    counter: new DynamoFindingsCounter(client, tables.findings),
    aggregates: new DynamoAggregateStore(client, tables.state, options.aggregateTtlDays, now),
  };
}

/** Everything the steps need from the world. */
export interface Environment {
  trail: { lister: TrailLister; reader: ObjectReader };
  stores: Stores;
  metrics: MetricsSink;
  rules: RuleSet;
  config: AuditConfig;
  /** Findings expire (DynamoDB TTL) this many days after detection; absent: kept. */
  findingsTtlDays?: number;
  /** AWS's published ranges fetched at run time (deployed, no bundled file); Correlate judges with them. */
  awsRanges?: AwsRangesSource;
  now: () => Date;
}

/** The Task states of `statemachine/audit.asl.json`, each bound to its step. */
export interface Steps {
  Plan: (event: PlanEvent) => Promise<PlanOutput>;
  Analyze: (item: WorkItem) => Promise<BatchResult>;
  Correlate: (item: CorrelateItem) => Promise<CorrelateResult>;
  Publish: (event: PublishEvent) => Promise<RunSummary>;
}

/** Builds the four steps over one environment. */
export function composeSteps(env: Environment): Steps {
  const { stores, rules, config, now } = env;
  const retention = env.findingsTtlDays ? { findingsTtlDays: env.findingsTtlDays } : {};
  const suppression = rules.suppressor ? { suppressor: rules.suppressor } : {};
  return {
    Plan: planStep({ lister: env.trail.lister, runs: stores.runs, now }, config),
    Analyze: analyzeStep(
      { runs: stores.runs, reader: env.trail.reader, findings: stores.findings, aggregates: stores.aggregates, now },
      {
        detectors: rules.detectors,
        readConcurrency: config.readConcurrency,
        writeConcurrency: config.writeConcurrency,
        ...retention,
        ...suppression,
      },
    ),
    Correlate: withAwsRanges(env.awsRanges, rules.detectors, (detectors) =>
      correlateStep(
        { aggregates: stores.aggregates, findings: stores.findings, now },
        { detectors, concurrency: config.writeConcurrency, ...retention, ...suppression },
      ),
    ),
    Publish: publishStep(
      { runs: stores.runs, findings: stores.counter, correlations: stores.aggregates, metrics: env.metrics, now },
      {
        namespace: config.metricsNamespace,
        detectorIds: rules.detectors.map((d) => d.meta.id),
        perDetectorMetrics: config.perDetectorMetrics,
      },
    ),
  };
}

/**
 * A step built over the detectors, rebuilt with the off-instance detector judging against the
 * source's ranges whenever they change (once a day at most); the given detectors while there are none.
 */
function withAwsRanges<I, O>(
  source: AwsRangesSource | undefined,
  detectors: readonly Detector[],
  build: (detectors: readonly Detector[]) => (item: I) => Promise<O>,
): (item: I) => Promise<O> {
  const plain = build(detectors);
  if (!source) return plain;
  let built: { ranges: unknown; step: (item: I) => Promise<O> } = { ranges: undefined, step: plain };
  return async (item) => {
    const ranges = await source.current();
    if (ranges !== built.ranges)
      built = { ranges, step: ranges ? build(detectorsWithAwsRanges(detectors, ranges)) : plain };
    return built.step(item);
  };
}

/** The environment variables each deployed step needs (the stack sets them; see audit-functions.ts). */
const STEP_ENV: Record<keyof Steps, readonly string[]> = {
  Plan: ['STATE_TABLE', 'TRAIL_BUCKET'],
  Analyze: ['STATE_TABLE', 'FINDINGS_TABLE', 'TRAIL_BUCKET'],
  Correlate: ['STATE_TABLE', 'FINDINGS_TABLE'],
  Publish: ['STATE_TABLE', 'FINDINGS_TABLE'],
};

/**
 * One deployed step, built from the Lambda's environment: fails fast naming a missing or bad
 * variable, and loads the bundled rule files once per container (a bad rule fails the cold start
 * with its file and reason; the synth already refused it).
 */
export async function awsStep<N extends keyof Steps>(name: N, env: NodeJS.ProcessEnv = process.env): Promise<Steps[N]> {
  for (const variable of STEP_ENV[name]) requireEnv(variable, env);
  const { findingsTtlDays, ...sources } = ruleFilesFromEnv(env);
  const trail = new S3Trail(s3Client(), env.TRAIL_BUCKET ?? '');
  const tables = { state: env.STATE_TABLE ?? '', findings: env.FINDINGS_TABLE ?? '' };
  const client = documentClient();
  const rangesUrl = awsIpRangesUrlFromEnv(env);
  const steps = composeSteps({
    trail: { lister: trail, reader: trail },
    stores: dynamoStores(client, tables, { aggregateTtlDays: aggregateTtlDaysFromEnv(env) }),
    metrics: new CloudWatchMetrics(cloudWatchClient()),
    rules: await loadRuleSet(sources),
    config: configFromEnv(env),
    ...(findingsTtlDays ? { findingsTtlDays } : {}),
    ...(rangesUrl ? { awsRanges: stateTableAwsRanges(client, tables.state, rangesUrl) } : {}),
    now: () => new Date(),
  });
  return steps[name];
}

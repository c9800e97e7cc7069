import './polyfill.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LocalMetrics } from './metrics.ts';
import type { AlarmEvaluation } from './alarm-evaluation.ts';
import type { AlarmRule } from '../../functions/core/alarms.ts';
import type { AuditConfig } from '../../functions/core/config.ts';
import { TASK_STATES, readDefinition, substitute } from '../../statemachine/definition.ts';
import type { ObjectReader, TrailLister } from '../../functions/core/ports.ts';
import {
  composeSteps,
  dynamoStores,
  type Environment,
  type RuleSet,
  type Steps,
  type Stores,
} from '../../functions/compose.ts';
import type { BatchResult, CorrelateItem, RunSummary, WorkItem } from '../../functions/core/payloads.ts';
import { countStored, summarize } from '../../functions/publish/publish.ts';
import { LOCAL_TABLES, type LocalStore } from './store.ts';
import { timed } from './timing.ts';

/** How far a run is: work items and objects done of those planned, and what they held. */
export interface RunProgress {
  items: { done: number; planned: number };
  objects: { done: number; planned: number };
  records: number;
  bytes: number;
}

/** A local store and trail as the composition root's environment: dynalite tables, local metrics. */
export function localEnvironment(options: {
  store: LocalStore;
  /** The store's folder (metrics are kept beside the tables). */
  storeDir: string;
  trail: { lister: TrailLister; reader: ObjectReader };
  rules: RuleSet;
  config: AuditConfig;
  alarms: readonly AlarmRule[];
  aggregateTtlDays?: number;
  now?: () => Date;
}): Environment & { metrics: LocalMetrics } {
  const now = options.now ?? (() => new Date());
  return {
    trail: options.trail,
    stores: dynamoStores(options.store.client, LOCAL_TABLES, {
      now,
      ...(options.aggregateTtlDays ? { aggregateTtlDays: options.aggregateTtlDays } : {}),
    }),
    metrics: new LocalMetrics(join(options.storeDir, 'metrics.jsonl'), options.alarms),
    rules: options.rules,
    config: options.config,
    now,
  };
}

/** One local run: the composed steps, bound to the real state machine definition. */
export interface LocalAuditOptions {
  /** The four steps, as the composition root builds them ({@link composeSteps}). */
  steps: Steps;
  /** To rebuild the summary from what the run stored when Publish itself failed. */
  stores: Pick<Stores, 'runs' | 'counter'>;
  /** The local metrics sink the steps publish to; it evaluates the alarms after the run. */
  metrics: LocalMetrics;
  metricsNamespace: string;
  /** The state machine input: `{}`, `{"mode":"scheduled"}` or a backfill. */
  input: unknown;
  now?: () => Date;
  runId?: string;
  /** Called once Plan has run and after each work item. */
  onProgress?: (progress: RunProgress) => void;
  /** Analyze for runs of more than one work item: the worker pool that uses every core. */
  analyzeParallel?: (item: WorkItem) => Promise<unknown>;
  /** Correlate's shards in the same pool, so judging does not funnel through the main thread. */
  correlateParallel?: (item: CorrelateItem) => Promise<unknown>;
}

export interface LocalAuditResult {
  runId: string;
  status: 'SUCCEEDED' | 'FAILED';
  /** Why the execution failed (the Fail state's error and cause). */
  error?: { error: string; cause: string };
  /** The run's counts; absent only when Plan itself failed. */
  summary?: RunSummary;
  alarms: AlarmEvaluation[];
  /** Lines of the store's metrics file that could not be read (skipped; a torn write). */
  unreadableMetricLines?: number;
}

/** Local runs wait for nothing: retries happen at once (the SDK still backs off on its own). */
const NO_RETRY_WAIT = { Plan: 0, Analyze: 0, Correlate: 0, Publish: 0 };

/** Composes the steps over a local environment and runs them: see {@link runLocalAudit}. */
export function runLocalEnvironment(
  env: Environment & { metrics: LocalMetrics },
  options: Omit<LocalAuditOptions, 'steps' | 'stores' | 'metrics' | 'metricsNamespace'>,
): Promise<LocalAuditResult> {
  return runLocalAudit({
    steps: composeSteps(env),
    stores: env.stores,
    metrics: env.metrics,
    metricsNamespace: env.config.metricsNamespace,
    now: env.now,
    ...options,
  });
}

/**
 * Runs the real state machine definition in aws-local-stepfunctions, each Task bound to the step
 * the composition root built, the same code the Lambda handlers call.
 */
export async function runLocalAudit(options: LocalAuditOptions): Promise<LocalAuditResult> {
  const now = options.now ?? (() => new Date());
  const runId = options.runId ?? localRunId(now());
  const { steps, metrics } = options;
  const plan = timed('plan', steps.Plan);
  const publish = timed('publish', steps.Publish);

  let planned = 0;
  // Shards go to the pool only when it runs already (it started for the Map); marked here either way.
  const correlate = timed('correlate', (item: CorrelateItem) =>
    planned > 1 && options.correlateParallel ? options.correlateParallel(item) : steps.Correlate(item),
  );
  let published: RunSummary | undefined;
  const progress: RunProgress = {
    items: { done: 0, planned: 0 },
    objects: { done: 0, planned: 0 },
    records: 0,
    bytes: 0,
  };
  const arns = Object.fromEntries(
    Object.values(TASK_STATES).map((name) => [
      name,
      `arn:aws:lambda:us-east-1:123456789012:function:trail-auditor-${name}`,
    ]),
  );
  // Loaded here, not at start-up, so `--help` and `findings` never pay for the interpreter.
  const { StateMachine } = await import('aws-local-stepfunctions');
  // The definition is checked with asl-validator by its own test; validating it again on every
  // run compiles the ASL schema, which costs more CPU than Plan and the interpreter together.
  const machine = new StateMachine(JSON.parse(substitute(readDefinition(), arns)), {
    validationOptions: { noValidate: true },
  });
  const execution = machine.run(options.input as never, {
    context: { Execution: { Name: runId, StartTime: now().toISOString() } },
    overrides: {
      taskResourceLocalHandlers: {
        Plan: async (event) => {
          const output = await plan(event as never);
          planned = output.batches.length;
          progress.items.planned = planned;
          progress.objects.planned = output.objects.queued;
          options.onProgress?.(progress);
          return output as never;
        },
        Analyze: async (item) => {
          // One work item gains nothing from threads that must first load the code.
          const bound = planned > 1 && options.analyzeParallel ? options.analyzeParallel : steps.Analyze;
          const result = await bound(item as unknown as WorkItem);
          const counts = result as Partial<BatchResult> | undefined;
          progress.items.done++;
          progress.objects.done += (counts?.objects?.analyzed ?? 0) + (counts?.objects?.failed ?? 0);
          progress.records += counts?.records ?? 0;
          progress.bytes += counts?.bytes ?? 0;
          options.onProgress?.(progress);
          return result as never;
        },
        Correlate: async (item) => (await correlate(item as unknown as CorrelateItem)) as never,
        Publish: async (event) => {
          published = await publish(event as never);
          return published as never;
        },
      },
      retryIntervalOverrides: NO_RETRY_WAIT,
    },
  });

  let status: LocalAuditResult['status'] = 'SUCCEEDED';
  let error: LocalAuditResult['error'];
  try {
    await execution.result;
  } catch (failure) {
    status = 'FAILED';
    error = failureOf(failure);
  }
  // Publish's own summary; only when Publish itself failed is it rebuilt from what the run stored.
  const summary = published ?? (await rebuildSummary(options.stores, runId));
  const alarms = await metrics.evaluate(options.metricsNamespace, now());
  const unreadable = metrics.unreadableLines;
  return {
    runId,
    status,
    ...(error ? { error } : {}),
    ...(summary ? { summary } : {}),
    alarms,
    ...(unreadable ? { unreadableMetricLines: unreadable } : {}),
  };
}

async function rebuildSummary(
  { runs, counter }: Pick<Stores, 'runs' | 'counter'>,
  runId: string,
): Promise<RunSummary | undefined> {
  const plan = await runs.getPlan(runId);
  if (!plan) return undefined;
  const summary = summarize(plan, await runs.listBatchResults(runId));
  countStored(summary, await counter.countByRun(runId));
  return summary;
}

/** A sortable, unique run id: `local-20171128T190500Z-1a2b3c4d`. */
export function localRunId(at: Date): string {
  return `local-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}-${randomUUID().slice(0, 8)}`;
}

// The interpreter wraps the Fail state's error; dig out its name and cause for the user.
function failureOf(failure: unknown): { error: string; cause: string } {
  const caught = (failure as { cause?: unknown }).cause ?? failure;
  const name = (caught as { name?: string }).name ?? 'Error';
  const message = (caught as { message?: string }).message ?? String(caught);
  const nested = (caught as { cause?: unknown }).cause;
  return {
    error: name,
    cause:
      nested === undefined ? message : `${message} (${typeof nested === 'string' ? nested : JSON.stringify(nested)})`,
  };
}

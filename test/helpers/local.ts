import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localEnvironment, runLocalAudit, type LocalAuditResult, type RunProgress } from '../../cli/local/runner.ts';
import { openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import { composeSteps, type Steps, type Stores } from '../../functions/compose.ts';
import { type AlarmRule, WORKSHOP_ALARM } from '../../functions/core/alarms.ts';
import { type AuditConfig, DEFAULT_CONFIG } from '../../functions/core/config.ts';
import type { AwsRangesSource } from '../../functions/core/aws-ranges.ts';
import type { Detector } from '../../functions/core/detector.ts';
import type { CorrelateItem, WorkItem } from '../../functions/core/payloads.ts';
import type { ObjectReader, TrailLister } from '../../functions/core/ports.ts';
import type { Suppressor } from '../../functions/analyze/analyze.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';

/** A temporary folder, removed by `cleanup`. */
export async function tempDir(prefix = 'trail-auditor-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** One run of the harness: a trail and input, and what a test may change (the hooks live here, not in the runner). */
export interface HarnessRun {
  lister: TrailLister;
  reader: ObjectReader;
  input: unknown;
  config?: AuditConfig;
  detectors?: readonly Detector[];
  suppressor?: Suppressor;
  alarms?: readonly AlarmRule[];
  now?: () => Date;
  runId?: string;
  aggregateTtlDays?: number;
  onProgress?: (progress: RunProgress) => void;
  analyzeParallel?: (item: WorkItem) => Promise<unknown>;
  correlateParallel?: (item: CorrelateItem) => Promise<unknown>;
  /** Replaces the Analyze step (fault injection). */
  analyze?: (item: WorkItem) => Promise<unknown>;
  /** Replaces the Correlate step (fault injection). */
  correlate?: (item: { runId: string; shard: number }) => Promise<unknown>;
  /** AWS's published ranges fetched at run time, as a deployed Correlate gets them. */
  awsRanges?: AwsRangesSource;
  /** Wraps the stores before the steps are composed over them (fault injection). */
  wrapPorts?: (stores: Stores & { reader: ObjectReader }) => Partial<Stores> & { reader?: ObjectReader };
}

/** The composed steps over a local store: what the CLI runs, with a test's changes. */
export function runHarness(store: LocalStore, storeDir: string, options: HarnessRun): Promise<LocalAuditResult> {
  const env = localEnvironment({
    store,
    storeDir,
    trail: { lister: options.lister, reader: options.reader },
    rules: {
      detectors: [...(options.detectors ?? BUILT_IN_DETECTORS)],
      ...(options.suppressor ? { suppressor: options.suppressor } : {}),
      sigma: { loaded: 0, refused: [], warnings: [] },
    },
    config: options.config ?? {
      ...DEFAULT_CONFIG,
      initialLookbackHours: null,
      deliverySlackHours: null,
      scheduleLeaseMinutes: 0,
    },
    alarms: options.alarms ?? [WORKSHOP_ALARM],
    ...(options.aggregateTtlDays ? { aggregateTtlDays: options.aggregateTtlDays } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.wrapPorts) {
    const { reader, ...stores } = options.wrapPorts({ ...env.stores, reader: env.trail.reader });
    env.stores = { ...env.stores, ...stores };
    if (reader) env.trail = { ...env.trail, reader };
  }
  if (options.awsRanges) env.awsRanges = options.awsRanges;
  const composed = composeSteps(env);
  const steps: Steps = {
    ...composed,
    ...(options.analyze ? { Analyze: options.analyze as Steps['Analyze'] } : {}),
    ...(options.correlate ? { Correlate: options.correlate as Steps['Correlate'] } : {}),
  };
  return runLocalAudit({
    steps,
    stores: env.stores,
    metrics: env.metrics,
    metricsNamespace: env.config.metricsNamespace,
    input: options.input,
    now: env.now,
    ...(options.runId ? { runId: options.runId } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.analyzeParallel ? { analyzeParallel: options.analyzeParallel } : {}),
    ...(options.correlateParallel ? { correlateParallel: options.correlateParallel } : {}),
  });
}

/** A dynalite store in a temporary folder, and a runner of the real state machine over it. */
export async function localHarness() {
  const { dir, cleanup } = await tempDir();
  const store: LocalStore = await openLocalStore(dir);
  return {
    dir,
    store,
    run: (options: HarnessRun) => runHarness(store, dir, options),
    async close() {
      await store.close();
      await cleanup();
    },
  };
}

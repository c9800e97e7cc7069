import { detectorAlarm, WORKSHOP_ALARM, type AlarmRule } from '../../functions/core/alarms.ts';
import { DEFAULT_CONFIG, validateConfig, type AuditConfig } from '../../functions/core/config.ts';
import { parseRunInput } from '../../functions/core/run-input.ts';
import { loadSuppressions } from '../../functions/core/suppressions.ts';
import { loadDetectors, type DetectorSources } from '../../functions/detectors/load.ts';
import { availableParallelism } from 'node:os';
import { createAnalyzePool, type AnalyzePool } from './pool.ts';
import type { Detector } from '../../functions/detectors/types.ts';
import { runLocalAudit, type LocalAuditResult } from './runner.ts';
import { openLocalStore } from './store.ts';
import { openTrail } from './trail.ts';
import { mark } from './timing.ts';

/** What `trail-auditor audit` (and `demo`) takes. */
export interface LocalAuditRequest {
  trail: string;
  store: string;
  /** The state machine input (scheduled or backfill). */
  input: Record<string, unknown>;
  sigmaDir?: string;
  suppressionsFile?: string;
  awsIpRangesFile?: string;
  /** Detectors with an alarm of their own, besides the workshop's total alarm. */
  detectorAlarms?: string[];
  config?: Partial<AuditConfig>;
  onProgress?: (done: number, planned: number) => void;
  /** Worker threads for Analyze on runs of several work items; 0 analyzes in this thread. Default: one per core. */
  threads?: number;
}

/**
 * Local defaults differ from the deployed ones in one way: a first scheduled run over a folder
 * audits everything in it (a deployment's first run looks back one day).
 */
export const LOCAL_CONFIG: AuditConfig = {
  ...DEFAULT_CONFIG,
  initialLookbackHours: null,
  // Smaller work items than in AWS, so that a few hundred MB spread evenly over the cores.
  batchMaxObjects: 200,
  batchMaxBytes: 8 * 1024 * 1024,
};

/** Runs one local audit: opens the trail and the store, loads rules, runs the state machine. */
export async function localAudit(request: LocalAuditRequest): Promise<{ result: LocalAuditResult; detectors: Detector[] }> {
  // Fail fast on bad input, before anything is opened; the state machine checks it again.
  parseRunInput(request.input);
  const trail = openTrail(request.trail);
  const config = validateConfig({ ...LOCAL_CONFIG, trailPrefix: trail.trailPrefix, ...request.config });
  // Rules load before the store opens: a bad rule stops here, with its file and reason.
  const sources: DetectorSources = {
    ...(request.sigmaDir ? { sigmaDir: request.sigmaDir } : {}),
    ...(request.awsIpRangesFile ? { awsIpRangesFile: request.awsIpRangesFile } : {}),
  };
  const detectors = await loadDetectors(sources);
  const suppressor = request.suppressionsFile ? await loadSuppressions(request.suppressionsFile) : undefined;
  const alarms: AlarmRule[] = [WORKSHOP_ALARM, ...(request.detectorAlarms ?? []).map(detectorAlarm)];
  mark('audit-start');
  const store = await openLocalStore(request.store);
  const threads = request.threads ?? availableParallelism();
  // The workers start now and load their code while Plan lists the trail; a run that turns out
  // to have a single work item analyzes it in this thread and never uses them.
  const pool: AnalyzePool | undefined =
    threads > 0
      ? createAnalyzePool(
          {
            trail: request.trail,
            clientConfig: store.clientConfig,
            config: { readConcurrency: config.readConcurrency, writeConcurrency: config.writeConcurrency },
            sources,
            ...(request.suppressionsFile ? { suppressionsFile: request.suppressionsFile } : {}),
          },
          threads,
        )
      : undefined;
  mark('pool-started');
  try {
    const result = await runLocalAudit({
      store,
      storeDir: request.store,
      lister: trail.lister,
      reader: trail.reader,
      input: request.input,
      config,
      detectors,
      alarms,
      ...(suppressor ? { suppressor } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(pool ? { analyzeParallel: pool.analyze } : {}),
    });
    return { result, detectors };
  } finally {
    await pool?.close();
    await store.close();
  }
}

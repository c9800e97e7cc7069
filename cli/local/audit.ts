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
import type { TrailLister, WorkItem } from '../../functions/core/ports.ts';

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
  mark('store-open');
  const threads = request.threads ?? availableParallelism();
  let pool: AnalyzePool | undefined;
  const startPool = () => {
    if (!pool) mark('pool-start');
    return (pool ??= createAnalyzePool(
      {
        trail: request.trail,
        clientConfig: store.clientConfig,
        config: { readConcurrency: config.readConcurrency, writeConcurrency: config.writeConcurrency },
        sources,
        ...(request.suppressionsFile ? { suppressionsFile: request.suppressionsFile } : {}),
      },
      threads,
    ));
  };
  // The workers start as soon as the listing holds more than one work item's worth of objects,
  // so they load their code while Plan lists and stores the manifest; a run of one work item
  // analyzes it in this thread and never starts them.
  const lister = threads > 0 ? startWhenLarge(trail.lister, config, () => void startPool()) : trail.lister;
  try {
    const result = await runLocalAudit({
      store,
      storeDir: request.store,
      lister,
      reader: trail.reader,
      input: request.input,
      config,
      detectors,
      alarms,
      ...(suppressor ? { suppressor } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(threads > 0 ? { analyzeParallel: (item: WorkItem) => startPool().analyze(item) } : {}),
    });
    return { result, detectors };
  } finally {
    await pool?.close();
    await store.close();
  }
}

/** The same lister; calls `onLarge` once, when what it listed exceeds one work item's limits. */
function startWhenLarge(lister: TrailLister, limits: Pick<AuditConfig, 'batchMaxObjects' | 'batchMaxBytes'>, onLarge: () => void): TrailLister {
  let objects = 0;
  let bytes = 0;
  return {
    listFolders: (prefix) => lister.listFolders(prefix),
    async *listObjects(prefix) {
      for await (const page of lister.listObjects(prefix)) {
        objects += page.length;
        for (const object of page) bytes += object.size;
        if (objects > limits.batchMaxObjects || bytes > limits.batchMaxBytes) onLarge();
        yield page;
      }
    },
  };
}

import { detectorAlarm, WORKSHOP_ALARM, type AlarmRule } from '../../functions/core/alarms.ts';
import { DEFAULT_CONFIG, validateConfig, type AuditConfig } from '../../functions/core/config.ts';
import { parseRunInput } from '../../functions/core/run-input.ts';
import { loadRuleSet, type RuleSources } from '../../functions/compose.ts';
import type { SigmaLoadReport } from '../../functions/detectors/load.ts';
import { availableParallelism } from 'node:os';
import { createAnalyzePool, type AnalyzePool } from './pool.ts';
import type { Detector } from '../../functions/detectors/types.ts';
import type { CorrelateItem, WorkItem } from '../../functions/core/payloads.ts';
import type { TrailLister } from '../../functions/core/ports.ts';
import { localEnvironment, runLocalEnvironment, type LocalAuditResult, type RunProgress } from './runner.ts';
import { openLocalStore } from './store.ts';
import { openTrail } from './trail.ts';
import { mark } from './timing.ts';
import { checkIds } from '../options.ts';

/** What `trail-auditor audit` (and `demo`) takes. */
export interface LocalAuditRequest {
  trail: string;
  store: string;
  /** The state machine input (scheduled or backfill). */
  input: Record<string, unknown>;
  sigmaDir?: string;
  /** Stop on a Sigma rule that cannot be loaded (default: run the rest and report it). */
  strictSigma?: boolean;
  suppressionsFile?: string;
  awsIpRangesFile?: string;
  /** Detectors with an alarm of their own, besides the workshop's total alarm. */
  detectorAlarms?: string[];
  config?: Partial<AuditConfig>;
  onProgress?: (progress: RunProgress) => void;
  /** Worker threads for Analyze on runs of several work items; 0 analyzes in this thread. Default: one per core. */
  threads?: number;
}

/**
 * Local defaults differ from the deployed ones: every scheduled run over a folder lists all of it
 * and takes what the store's ledger (which never expires locally) does not hold, whatever the
 * files' times or how late a sync brought them (a deployment looks back one day past its last
 * complete run); and the store's lock, not a lease, keeps two runs apart.
 */
export const LOCAL_CONFIG: AuditConfig = {
  ...DEFAULT_CONFIG,
  initialLookbackHours: null,
  deliverySlackHours: null,
  scheduleLeaseMinutes: 0,
  // Smaller work items than in AWS, so that a few hundred MB spread evenly over the cores.
  batchMaxObjects: 200,
  batchMaxBytes: 8 * 1024 * 1024,
};

/** Runs one local audit: opens the trail and the store, loads rules, runs the state machine. */
export async function localAudit(
  request: LocalAuditRequest,
): Promise<{ result: LocalAuditResult; detectors: Detector[]; sigma: SigmaLoadReport }> {
  // Fail fast on bad input, before anything is opened; the state machine checks it again.
  parseRunInput(request.input);
  const trail = openTrail(request.trail);
  const config = validateConfig({ ...LOCAL_CONFIG, trailPrefix: trail.trailPrefix, ...request.config });
  // Rules load before the store opens: a bad rule stops here, with its file and reason.
  const sources: RuleSources = {
    ...(request.sigmaDir ? { sigmaDir: request.sigmaDir, strictSigma: request.strictSigma ?? false } : {}),
    ...(request.awsIpRangesFile ? { awsIpRangesFile: request.awsIpRangesFile } : {}),
    ...(request.suppressionsFile ? { suppressionsFile: request.suppressionsFile } : {}),
  };
  // Detectors, then suppressions checked against their ids: a typo in a suppression is refused.
  const rules = await loadRuleSet(sources);
  const { detectors, sigma } = rules;
  // An alarm on a misspelt id would never fire: refuse it, with the nearest id.
  checkIds(
    request.detectorAlarms ?? [],
    detectors.map((d) => d.meta.id),
    '--detector-alarm',
  );
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
        config,
        sources,
      },
      threads,
    ));
  };
  // The workers start as soon as the listing holds more than one work item's worth of objects,
  // so they load their code while Plan lists and stores the manifest; a run of one work item
  // analyzes it in this thread and never starts them.
  const lister = threads > 0 ? startWhenLarge(trail.lister, config, () => void startPool()) : trail.lister;
  try {
    const env = localEnvironment({
      store,
      storeDir: request.store,
      trail: { lister, reader: trail.reader },
      rules,
      config,
      alarms,
    });
    const result = await runLocalEnvironment(env, {
      input: request.input,
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(threads > 0
        ? {
            analyzeParallel: (item: WorkItem) => startPool().analyze(item),
            correlateParallel: (item: CorrelateItem) => startPool().correlate(item),
          }
        : {}),
    });
    return { result, detectors, sigma };
  } finally {
    await pool?.close();
    await store.close();
  }
}

/**
 * One line per refused Sigma rule, per rule that can never fire and per engine choice a rule left
 * open (an aggregation's window), for stderr: file names and reasons come from the rule folder, so
 * control characters are escaped.
 */
export function sigmaReportLines(sigma: SigmaLoadReport): string[] {
  return [
    ...sigma.refused.map(
      (refusal) => `sigma: refused ${escapeControls(refusal.file)}: ${escapeControls(refusal.reason)}`,
    ),
    ...sigma.warnings.map(
      (warning) =>
        `sigma: warning ${escapeControls(warning.file)}: ${warning.rule} can never match on ${escapeControls(warning.field)}: ${escapeControls(warning.reason)}`,
    ),
    ...(sigma.notes ?? []).map(
      (note) => `sigma: note ${escapeControls(note.file)}: ${note.rule}: ${escapeControls(note.note)}`,
    ),
  ];
}

/** C0/C1 controls, DEL and bidirectional overrides as visible escapes (`\x1b`, `\u202e`). */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- these are exactly the characters to make visible
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The same lister; calls `onLarge` once, when what it listed exceeds one work item's limits. */
function startWhenLarge(
  lister: TrailLister,
  limits: Pick<AuditConfig, 'batchMaxObjects' | 'batchMaxBytes'>,
  onLarge: () => void,
): TrailLister {
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

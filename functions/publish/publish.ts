import pLimit from 'p-limit';
import {
  ANOMALIES_METRIC,
  type AggregateStore,
  type FindingsCounter,
  type MetricDatum,
  type MetricsSink,
  type RunPlan,
  type RunStore,
} from '../core/ports.ts';

import type { BatchResult, CorrelateResult, PublishEvent, RunSummary } from '../core/payloads.ts';

export { ANOMALIES_METRIC } from '../core/ports.ts';

export interface PublishPorts {
  runs: Pick<
    RunStore,
    'getPlan' | 'listBatchResults' | 'getManifestBatch' | 'markAnalyzed' | 'advanceScheduleStart' | 'releaseLease'
  >;
  findings: FindingsCounter;
  /** The Correlate shards' results; absent when no correlation stage runs (older deployments). */
  correlations?: Pick<AggregateStore, 'listCorrelateResults'>;
  metrics: MetricsSink;
  now: () => Date;
}

export interface PublishOptions {
  namespace: string;
  /** Every detector id of the run. */
  detectorIds: readonly string[];
  /**
   * Publish AnomaliesDetected per detector (dimension `Detector`) besides the total; default true.
   * False: the total and the run-health metrics only (no per-detector alarms can then fire).
   */
  perDetectorMetrics?: boolean;
}

/**
 * Sums the run's batch results (never the Map's output, which a Distributed Map may not return);
 * for a scheduled run, adds the objects of every batch that reported to the ledger and moves the
 * schedule's start if the whole run was analysed; publishes the metrics once; then gives up the
 * scheduled-run lease.
 */
export async function publishRun(
  ports: PublishPorts,
  options: PublishOptions,
  runId: string,
  correlated = true,
): Promise<RunSummary> {
  const plan = await ports.runs.getPlan(runId);
  if (!plan) throw new Error(`run ${runId} has no plan: Plan did not finish`);
  const results = await ports.runs.listBatchResults(runId);
  const summary = summarize(plan, results);
  if (ports.correlations) addCorrelation(summary, await ports.correlations.listCorrelateResults(runId));
  // Without its correlation the run is not done: the next scheduled run takes its objects again.
  if (!correlated) summary.complete = false;
  countStored(summary, await ports.findings.countByRun(runId));
  const leaseHolder = plan.mode === 'scheduled' && plan.deferredTo === undefined;
  if (leaseHolder) {
    // The ledger first, then the start: a crash in between leaves the ledger ahead, never behind.
    if (correlated) await recordAnalyzed(ports.runs, runId, results);
    if (summary.complete && !plan.filtered && plan.nextStart) await ports.runs.advanceScheduleStart(plan.nextStart);
  }
  const perDetector = options.perDetectorMetrics !== false;
  await ports.metrics.publish(options.namespace, metricsOf(summary, ports.now(), perDetector));
  // Only once everything is written: a Publish that fails keeps the lease for its retries, so no
  // other run plans while ledger writes of this one may still come (held at most the lease's time).
  if (leaseHolder) await ports.runs.releaseLease(runId);
  return summary;
}

/**
 * Adds to the ledger the keys of every batch whose result is stored, the objects it reported as
 * bad included (a poison object is reported once, then left alone); a batch that never reported
 * stays out, so the next scheduled run takes its objects again.
 */
async function recordAnalyzed(
  runs: PublishPorts['runs'],
  runId: string,
  results: readonly BatchResult[],
): Promise<void> {
  const limit = pLimit(4);
  const batches = [...new Set(results.map((r) => r.batch))];
  // Every write settles before a failure is thrown: none may land later, after the next run has
  // planned (a frozen Lambda resumes its promises on its next invocation).
  const settled = await Promise.allSettled(
    batches.map((batch) => limit(async () => runs.markAnalyzed(await runs.getManifestBatch(runId, batch)))),
  );
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Reconciles the new-finding counts with what the run actually stored. The batch results count
 * each put the run's last attempt at a work item created; a crashed attempt may have stored
 * findings that its retry, judging differently (a stateful detector learned meanwhile), did not
 * put again. The by-run index counts those; it is eventually consistent and may still miss the
 * newest puts, which the batch results have. The larger of the two, per detector, is the count.
 */
export function countStored(summary: RunSummary, stored: Record<string, number>): void {
  const byDetector = summary.findings.byDetector;
  for (const [id, count] of Object.entries(stored)) byDetector[id] = Math.max(byDetector[id] ?? 0, count);
  summary.findings.new = Object.values(byDetector).reduce((sum, n) => sum + n, 0);
}

/** Adds up batch results into the run summary. */
export function summarize(plan: RunPlan, results: readonly BatchResult[]): RunSummary {
  const summary: RunSummary = {
    runId: plan.runId,
    mode: plan.mode,
    window: plan.window,
    complete: false,
    batches: { planned: plan.batches, reported: 0 },
    objects: { listed: plan.objects.listed, analyzed: 0, skipped: plan.objects.skipped, failed: 0 },
    records: 0,
    skippedRecords: 0,
    failedRecords: 0,
    bytes: 0,
    findings: { new: 0, duplicate: 0, suppressed: 0, byDetector: {} },
    suppressedByRule: {},
    failures: [],
  };
  const seen = new Set<number>();
  for (const result of results) {
    if (seen.has(result.batch)) continue;
    seen.add(result.batch);
    summary.objects.analyzed += result.objects.analyzed;
    summary.objects.failed += result.objects.failed;
    summary.records += result.records;
    // Results stored before these counts existed lack them.
    summary.skippedRecords += result.skippedRecords ?? 0;
    summary.failedRecords += result.failedRecords ?? 0;
    summary.bytes += result.bytes;
    addFindings(summary, result);
    summary.failures.push(...result.failures);
  }
  summary.batches.reported = seen.size;
  summary.complete = seen.size === plan.batches;
  summary.failures.sort((a, b) => a.key.localeCompare(b.key));
  return summary;
}

/** Adds one batch's or one shard's finding counts to the summary. */
function addFindings(
  summary: RunSummary,
  result: Pick<BatchResult, 'findings' | 'byDetector' | 'suppressedByRule'>,
): void {
  summary.findings.new += result.findings.new;
  summary.findings.duplicate += result.findings.duplicate;
  summary.findings.suppressed += result.findings.suppressed;
  addCounts(summary.findings.byDetector, result.byDetector);
  addCounts(summary.suppressedByRule, result.suppressedByRule);
}

/** Adds the Correlate shards' findings (each shard's result once: a retried shard overwrote its own). */
export function addCorrelation(summary: RunSummary, results: readonly CorrelateResult[]): void {
  const seen = new Set<number>();
  for (const result of results) {
    if (seen.has(result.shard)) continue;
    seen.add(result.shard);
    addFindings(summary, result);
    summary.failures.push(...result.failures);
  }
  summary.failures.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The run's metrics: AnomaliesDetected in total (0 included), per detector that made new findings
 * (unless `perDetector` is false), and run health. A per-detector zero is not sent: CloudWatch bills a custom metric
 * for each hour it receives data, so 45 zero series would cost about $13.50 a month for nothing;
 * the per-detector alarms treat missing data as not breaching, so they return to OK all the same.
 */
export function metricsOf(summary: RunSummary, timestamp: Date, perDetector = true): MetricDatum[] {
  const count = (name: string, value: number, dimensions?: Record<string, string>): MetricDatum => ({
    name,
    value,
    unit: 'Count',
    timestamp,
    ...(dimensions ? { dimensions } : {}),
  });
  const byDetector = summary.findings.byDetector;
  const ids = perDetector
    ? Object.keys(byDetector)
        .filter((id) => (byDetector[id] ?? 0) > 0)
        .sort()
    : [];
  return [
    count(ANOMALIES_METRIC, summary.findings.new),
    ...ids.map((id) => count(ANOMALIES_METRIC, byDetector[id]!, { Detector: id })),
    count('ObjectsAnalyzed', summary.objects.analyzed),
    count('ObjectsFailed', summary.objects.failed),
    count('RecordsAnalyzed', summary.records),
    count('RecordsSkipped', summary.skippedRecords),
    count('RecordsFailed', summary.failedRecords),
    count('FindingsSuppressed', summary.findings.suppressed),
    count('WorkItemsMissing', summary.batches.planned - summary.batches.reported),
  ];
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** The Publish step as the state machine calls it. */
export function publishStep(
  ports: PublishPorts,
  options: PublishOptions,
): (event: PublishEvent) => Promise<RunSummary> {
  return (event) => publishRun(ports, options, event.runId, event.correlated ?? true);
}

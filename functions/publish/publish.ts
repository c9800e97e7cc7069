import { ALL_SCOPE, type AggregateStore, type BatchResult, type CorrelateResult, type FindingsCounter, type MetricDatum, type MetricsSink, type RunPlan, type RunStore } from '../core/ports.ts';

/** The metric every alarm watches. */
export const ANOMALIES_METRIC = 'AnomaliesDetected';

/** A run's outcome, as the CLI prints it (`--json`) and the state machine returns it. */
export interface RunSummary {
  runId: string;
  mode: RunPlan['mode'];
  window: RunPlan['window'];
  /** True when every work item reported; only then does a scheduled run move its checkpoint. */
  complete: boolean;
  batches: { planned: number; reported: number };
  objects: { listed: number; analyzed: number; skipped: number; failed: number };
  records: number;
  bytes: number;
  findings: { new: number; duplicate: number; suppressed: number; byDetector: Record<string, number> };
  suppressedByRule: Record<string, number>;
  failures: { key: string; reason: string }[];
}

export interface PublishPorts {
  runs: Pick<RunStore, 'getPlan' | 'listBatchResults' | 'advanceCheckpoint'>;
  findings: FindingsCounter;
  /** The Correlate shards' results; absent when no correlation stage runs (older deployments). */
  correlations?: Pick<AggregateStore, 'listCorrelateResults'>;
  metrics: MetricsSink;
  now: () => Date;
}

export interface PublishOptions {
  namespace: string;
  /** Every detector id, so each per-detector metric gets a datum (0 included) every run. */
  detectorIds: readonly string[];
}

/**
 * Sums the run's batch results (never the Map's output, which a Distributed Map may not return),
 * publishes the metrics once, and moves the scheduled checkpoint if the whole run was analysed.
 */
export async function publishRun(ports: PublishPorts, options: PublishOptions, runId: string): Promise<RunSummary> {
  const plan = await ports.runs.getPlan(runId);
  if (!plan) throw new Error(`run ${runId} has no plan: Plan did not finish`);
  const summary = summarize(plan, await ports.runs.listBatchResults(runId));
  if (ports.correlations) addCorrelation(summary, await ports.correlations.listCorrelateResults(runId));
  countStored(summary, await ports.findings.countByRun(runId));
  await ports.metrics.publish(options.namespace, metricsOf(summary, options.detectorIds, ports.now()));
  if (summary.complete && plan.mode === 'scheduled') await ports.runs.advanceCheckpoint(plan.window.end, plan.checkpointScope ?? ALL_SCOPE);
  return summary;
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
    summary.bytes += result.bytes;
    summary.findings.new += result.findings.new;
    summary.findings.duplicate += result.findings.duplicate;
    summary.findings.suppressed += result.findings.suppressed;
    addCounts(summary.findings.byDetector, result.byDetector);
    addCounts(summary.suppressedByRule, result.suppressedByRule);
    summary.failures.push(...result.failures);
  }
  summary.batches.reported = seen.size;
  summary.complete = seen.size === plan.batches;
  summary.failures.sort((a, b) => a.key.localeCompare(b.key));
  return summary;
}

/** Adds the Correlate shards' findings (each shard's result once: a retried shard overwrote its own). */
export function addCorrelation(summary: RunSummary, results: readonly CorrelateResult[]): void {
  const seen = new Set<number>();
  for (const result of results) {
    if (seen.has(result.shard)) continue;
    seen.add(result.shard);
    summary.findings.new += result.findings.new;
    summary.findings.duplicate += result.findings.duplicate;
    summary.findings.suppressed += result.findings.suppressed;
    addCounts(summary.findings.byDetector, result.byDetector);
    addCounts(summary.suppressedByRule, result.suppressedByRule);
    summary.failures.push(...result.failures);
  }
  summary.failures.sort((a, b) => a.key.localeCompare(b.key));
}

/** The run's metrics: AnomaliesDetected in total and per detector (0 included), and run health. */
export function metricsOf(summary: RunSummary, detectorIds: readonly string[], timestamp: Date): MetricDatum[] {
  const count = (name: string, value: number, dimensions?: Record<string, string>): MetricDatum => ({
    name,
    value,
    unit: 'Count',
    timestamp,
    ...(dimensions ? { dimensions } : {}),
  });
  const ids = [...new Set([...detectorIds, ...Object.keys(summary.findings.byDetector)])].sort();
  return [
    count(ANOMALIES_METRIC, summary.findings.new),
    ...ids.map((id) => count(ANOMALIES_METRIC, summary.findings.byDetector[id] ?? 0, { Detector: id })),
    count('ObjectsAnalyzed', summary.objects.analyzed),
    count('ObjectsFailed', summary.objects.failed),
    count('RecordsAnalyzed', summary.records),
    count('FindingsSuppressed', summary.findings.suppressed),
    count('WorkItemsMissing', summary.batches.planned - summary.batches.reported),
  ];
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** The Publish step as the state machine calls it. */
export function publishStep(ports: PublishPorts, options: PublishOptions): (event: { runId: string; correlated?: boolean }) => Promise<RunSummary> {
  return (event) => publishRun(ports, options, event.runId);
}

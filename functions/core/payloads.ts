import type { RunPlan } from './ports.ts';
import type { RunInput } from './run-input.ts';

/*
 * What crosses the state machine (statemachine/audit.asl.json) between its Tasks, in the order of
 * the run: Plan's event and output, the Map's work item, Analyze's result, Correlate's shard item
 * and result, Publish's event and the run's summary. The stores keep some of them too (RunStore,
 * AggregateStore in ports.ts take them from here). Steps, the CLI and the stack import these from
 * core, never from a step.
 */

/** The event the state machine's Plan task sends. */
export interface PlanEvent {
  input: unknown;
  runId: string;
}

/** Plan's output: small whatever the run's size (a list of batch numbers, not of keys). */
export interface PlanOutput {
  runId: string;
  mode: RunInput['mode'];
  /** Work items for the Map: the batch numbers 0..n-1; the keys stay in the run's manifest. */
  batches: number[];
  /** The Map's concurrency and failure tolerance, from config (read by the Map's *Path fields). */
  mapConcurrency: number;
  toleratedFailurePercentage: number;
  objects: RunPlan['objects'];
  window: RunPlan['window'];
}

/** A Map work item: one batch of the run's manifest. Tiny, whatever the run's size. */
export interface WorkItem {
  runId: string;
  batch: number;
}

/** What one Analyze invocation found in its batch. */
export interface BatchResult {
  batch: number;
  objects: { analyzed: number; failed: number };
  records: number;
  skippedRecords: number;
  /** Records counted as failures (a finding the store refused, or that could not be built); each reported with its object key. */
  failedRecords?: number;
  bytes: number;
  findings: { new: number; duplicate: number; suppressed: number };
  byDetector: Record<string, number>;
  suppressedByRule: Record<string, number>;
  /** The first failures, by key (capped so the item stays small); `failureCount` has them all. */
  failures: { key: string; reason: string }[];
  /** Items written to the state table for correlation (aggregates and touched-key lists). */
  stateWrites?: number;
}

/** One Correlate invocation: one shard of one run's touched keys. */
export interface CorrelateItem {
  runId: string;
  shard: number;
}

/** What one Correlate shard judged and stored; Publish adds these to the batch results. */
export interface CorrelateResult {
  shard: number;
  keys: { touched: number; judged: number };
  findings: { new: number; duplicate: number; suppressed: number };
  byDetector: Record<string, number>;
  suppressedByRule: Record<string, number>;
  /** The first failures, by correlation key (capped); `failures.length` may be less than the count. */
  failures: { key: string; reason: string }[];
}

/** The event the state machine's Publish task sends. */
export interface PublishEvent {
  runId: string;
  /** False when the run's Correlate step did not complete: no object of the run counts as analysed. Default true. */
  correlated?: boolean;
}

/** A run's outcome, as the CLI prints it (`--json`) and the state machine returns it. */
export interface RunSummary {
  runId: string;
  mode: RunPlan['mode'];
  window: RunPlan['window'];
  /**
   * True when every work item reported and the run's correlation completed; only then does a
   * scheduled run move the schedule's start.
   */
  complete: boolean;
  batches: { planned: number; reported: number };
  objects: { listed: number; analyzed: number; skipped: number; failed: number };
  records: number;
  /** Entries of `Records` that were not JSON objects: counted, never analysed. */
  skippedRecords: number;
  /** Records that were analysed but whose finding could not be stored (see `failures`). */
  failedRecords: number;
  bytes: number;
  findings: { new: number; duplicate: number; suppressed: number; byDetector: Record<string, number> };
  suppressedByRule: Record<string, number>;
  failures: { key: string; reason: string }[];
}

import type { RunPlan } from './ports.ts';
import type { RunInput } from './run-input.ts';

/*
 * What crosses the state machine (statemachine/audit.asl.json) between its Tasks, in the order of
 * the run: Plan's event and output, Correlate's shard item, Publish's event and the run's summary.
 * The Map's work item (WorkItem), Analyze's result (BatchResult) and a Correlate shard's result
 * (CorrelateResult) cross it too, but the stores keep them as well, so they live with their ports
 * in ports.ts. Steps, the CLI and the stack import these from core, never from a step.
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

/** One Correlate invocation: one shard of one run's touched keys. */
export interface CorrelateItem {
  runId: string;
  shard: number;
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

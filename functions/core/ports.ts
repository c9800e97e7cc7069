import type { Finding } from './findings.ts';

/** One object as a listing returns it. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/** Lists the trail: S3 (ListObjectsV2) or a folder. Keys use `/` whatever the platform. */
export interface TrailLister {
  /** Every object under `prefix`, page by page, in any order. */
  listObjects(prefix: string): AsyncIterable<ObjectInfo[]>;
  /** The immediate sub-folders of `prefix` (each ending in `/`), as a Delimiter listing gives them. */
  listFolders(prefix: string): Promise<string[]>;
}

/** Reads one object's bytes. Throws an error whose message names the problem. */
export interface ObjectReader {
  read(key: string): Promise<Uint8Array>;
}

/** Outcome of storing a finding. */
export type PutOutcome = 'created' | 'duplicate';

/** The findings table. */
export interface FindingsStore {
  /**
   * Stores the finding unless one with its id exists. A put that repeats this run's own earlier
   * put for the same object (a retried work item) is `created` again, so counts survive retries;
   * any other existing item makes it a `duplicate`.
   */
  putIfNew(finding: Finding): Promise<PutOutcome>;
}

/** Counts what a run stored, for Publish. */
export interface FindingsCounter {
  /** Findings whose item names this run as its creator, by detector (through the by-run index). */
  countByRun(runId: string): Promise<Record<string, number>>;
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
  bytes: number;
  findings: { new: number; duplicate: number; suppressed: number };
  byDetector: Record<string, number>;
  suppressedByRule: Record<string, number>;
  /** The first failures, by key (capped so the item stays small); `failureCount` has them all. */
  failures: { key: string; reason: string }[];
  /** Items written to the state table for correlation (aggregates and touched-key lists). */
  stateWrites?: number;
}

/** The plan of a run, stored once by Plan and read back by Publish. */
export interface RunPlan {
  runId: string;
  mode: 'scheduled' | 'backfill';
  startedAt: string;
  /** Scheduled: objects whose LastModified is in (windowStart, windowEnd]. Backfill: stamps in [from, to). */
  window: { start: string | null; end: string };
  batches: number;
  objects: { listed: number; queued: number; skipped: number };
  /** Skipped keys by reason (digest, insight, other, outside range). */
  skippedByReason: Record<string, number>;
  accounts: string[];
  regions: string[];
  /** The checkpoint a scheduled run reads and moves: see {@link checkpointScope}. */
  checkpointScope: string;
}

/** The checkpoint of unfiltered scheduled runs. */
export const ALL_SCOPE = 'all';

/**
 * The checkpoint scope of a run's filters: `all`, or the sorted accounts and regions, so that a
 * run narrowed to one account never moves the checkpoint the unfiltered schedule relies on.
 */
export function checkpointScope(filter: { accounts?: readonly string[]; regions?: readonly string[] }): string {
  if (!filter.accounts?.length && !filter.regions?.length) return ALL_SCOPE;
  return `accounts=${[...(filter.accounts ?? [])].sort().join(',') || '*'};regions=${[...(filter.regions ?? [])].sort().join(',') || '*'}`;
}

/** Run bookkeeping: the plan, the manifest, per-batch results and the scheduled checkpoint. */
export interface RunStore {
  putPlan(plan: RunPlan): Promise<void>;
  getPlan(runId: string): Promise<RunPlan | undefined>;
  putManifestBatch(runId: string, batch: number, keys: string[]): Promise<void>;
  getManifestBatch(runId: string, batch: number): Promise<string[]>;
  /** Overwrites the batch's result: a retried batch replaces, never adds. */
  putBatchResult(runId: string, result: BatchResult): Promise<void>;
  listBatchResults(runId: string): Promise<BatchResult[]>;
  /**
   * End of the window of the last successful scheduled run of this scope, or null before the
   * first. Scheduled runs narrowed to some accounts or regions keep a checkpoint of their own.
   */
  getCheckpoint(scope?: string): Promise<string | null>;
  /** Moves the scope's checkpoint forward to `to`; never backwards (overlapping runs are harmless). */
  advanceCheckpoint(to: string, scope?: string): Promise<void>;
}

/** One CloudWatch datum. */
export interface MetricDatum {
  name: string;
  value: number;
  unit: 'Count' | 'Bytes' | 'Seconds' | 'Milliseconds';
  dimensions?: Record<string, string>;
  timestamp: Date;
}

/** CloudWatch, or the local sink that evaluates the same alarms. */
export interface MetricsSink {
  publish(namespace: string, data: MetricDatum[]): Promise<void>;
}

/** One aggregate of a correlating detector: a key's join over one work item. */
export interface StoredAggregate {
  detector: string;
  key: string;
  aggregate: unknown;
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

/**
 * Aggregates of correlating detectors and the keys each run touched (the state table). Analyze
 * writes, Correlate reads; see functions/core/correlation.ts.
 */
export interface AggregateStore {
  /**
   * Stores one work item's aggregates (one per key) and the list of keys it touched, in batched
   * writes. A retried work item overwrites its own items, so nothing is stored twice. Returns
   * the number of items written.
   */
  putWorkItem(runId: string, batch: number, aggregates: readonly StoredAggregate[]): Promise<number>;
  /** The keys the run's work items touched that fall in `shard` (of `shards`), page by page, repeats possible. */
  touchedKeys(runId: string, shard: number, shards: number): AsyncIterable<{ detector: string; key: string }[]>;
  /** Every stored aggregate of a key: this run's and earlier runs', within their retention. */
  readAggregates(detector: string, key: string): Promise<unknown[]>;
  /** Overwrites the shard's result: a retried shard replaces, never adds. */
  putCorrelateResult(runId: string, result: CorrelateResult): Promise<void>;
  listCorrelateResults(runId: string): Promise<CorrelateResult[]>;
}

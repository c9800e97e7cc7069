import type { Finding } from './findings.ts';
import type { BatchResult, CorrelateResult } from './payloads.ts';

/** One object as a listing returns it. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  /** Set when the lister will not offer the entry for reading (e.g. `symlink`); Plan counts it as skipped. */
  skip?: string;
}

/** Lists the trail: S3 (ListObjectsV2) or a folder. Keys use `/` whatever the platform. */
export interface TrailLister {
  /** Every object under `prefix`, page by page, in any order. */
  listObjects(prefix: string): AsyncIterable<ObjectInfo[]>;
  /** The immediate sub-folders of `prefix` (each ending in `/`), as a Delimiter listing gives them. */
  listFolders(prefix: string): Promise<string[]>;
}

/** Limits of one read. */
export interface ReadOptions {
  /** An object larger than this is refused with an ObjectTooLargeError before its body is read. */
  maxBytes?: number;
}

/** Reads one object's bytes. Throws an error whose message names the problem. */
export interface ObjectReader {
  read(key: string, options?: ReadOptions): Promise<Uint8Array>;
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

/** The plan of a run, stored once by Plan and read back by Publish. */
export interface RunPlan {
  runId: string;
  mode: 'scheduled' | 'backfill';
  startedAt: string;
  /**
   * Backfill: stamps in [from, to). Scheduled: stamps from `start` (null: the whole trail) listed
   * at `end` (when Plan started), less the objects the ledger holds.
   */
  window: { start: string | null; end: string };
  batches: number;
  /** `analyzedBefore`: log objects a scheduled run listed and dropped because the ledger holds them. */
  objects: { listed: number; queued: number; skipped: number; analyzedBefore?: number };
  /** Skipped keys by reason (digest, insight, other, outside range). */
  skippedByReason: Record<string, number>;
  accounts: string[];
  regions: string[];
  /** The run was narrowed to some accounts or regions: it feeds the ledger but never moves the schedule's start. */
  filtered: boolean;
  /** Scheduled runs: where the schedule starts listing once this run is complete (null: the whole trail). */
  nextStart?: string | null;
  /** Scheduled runs: another scheduled run held the lease, so this one planned nothing. */
  deferredTo?: string;
}

/** The day folder of a key (up to and including its last `/`): the ledger's partition. */
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/**
 * Run bookkeeping: the plan, the manifest, per-batch results, and what scheduled selection needs:
 * a ledger of analysed object keys, where the schedule starts listing, and a lease that keeps
 * scheduled runs from overlapping.
 */
export interface RunStore {
  putPlan(plan: RunPlan): Promise<void>;
  getPlan(runId: string): Promise<RunPlan | undefined>;
  putManifestBatch(runId: string, batch: number, keys: string[]): Promise<void>;
  getManifestBatch(runId: string, batch: number): Promise<string[]>;
  /** Overwrites the batch's result: a retried batch replaces, never adds. */
  putBatchResult(runId: string, result: BatchResult): Promise<void>;
  listBatchResults(runId: string): Promise<BatchResult[]>;
  /** Of `names` (file names in the day folder `folder`), those the ledger holds. */
  analyzedIn(folder: string, names: readonly string[]): Promise<Set<string>>;
  /** Adds keys to the ledger (idempotent: a key added twice is one entry). */
  markAnalyzed(keys: readonly string[]): Promise<void>;
  /**
   * The stamp scheduled runs list from. Unset before the first run: with `initial`, stores it
   * unless another run stored one first, and returns what is stored; without, returns null.
   */
  scheduleStart(initial?: string): Promise<string | null>;
  /** Moves the schedule's start forward to `to`; never backwards (overlapping runs are harmless). */
  advanceScheduleStart(to: string): Promise<void>;
  /**
   * Takes the scheduled-run lease for `runId` until `until` unless another run holds it past
   * `now`. Returns null when taken (or already this run's), else the holder's run id.
   */
  acquireLease(runId: string, now: string, until: string): Promise<string | null>;
  /** Gives the lease up if `runId` holds it. */
  releaseLease(runId: string): Promise<void>;
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

/** One aggregate of a correlating detector (`CorrelatingDetector` in core/correlation.ts): a key's join over one work item. */
export interface StoredAggregate {
  detector: string;
  key: string;
  aggregate: unknown;
  /** The key's pack (`CorrelatingDetector.pack`): stored with the work item's other keys of that pack. */
  pack?: string;
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
  /**
   * Every stored aggregate of a key: this run's and earlier runs', within their retention. `pack`
   * is the key's pack when its detector has one (the store finds the key in that pack's items).
   */
  readAggregates(detector: string, key: string, pack?: string): Promise<unknown[]>;
  /** Overwrites the shard's result: a retried shard replaces, never adds. */
  putCorrelateResult(runId: string, result: CorrelateResult): Promise<void>;
  listCorrelateResults(runId: string): Promise<CorrelateResult[]>;
}

/** Decides whether a match is silenced; returns the suppression rule's id if so. */
export interface Suppressor {
  match(
    candidate: { detector: string; principal: string; account: string; sourceIPAddress: string; userAgent: string },
    now: Date,
  ): string | undefined;
}

/** The metric every alarm watches. */
export const ANOMALIES_METRIC = 'AnomaliesDetected';

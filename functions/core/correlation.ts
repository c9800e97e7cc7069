import { createHash } from 'node:crypto';
import type { CloudTrailRecord } from './cloudtrail.ts';
import type { DetectorMatch, DetectorMetadata, EventsBySource } from './detector.ts';

/*
 * The correlation contract: detection that needs more than one record (the addresses of an
 * instance session, counts in a window) without any detector calling the store per record.
 *
 * Analyze calls `observe` on every record and joins the observations of each key over its work
 * item with `merge`: one stored aggregate per key per work item. Correlate runs once every work
 * item of the run has reported: for each key the run touched it joins every stored aggregate of
 * that key (this run's and earlier runs', within their retention) and calls `judge`.
 *
 * Because `merge` is a semilattice join (associative, commutative, idempotent), the joined
 * aggregate, and so the verdict, is the same whatever the work-item order, batch size, thread
 * count, retries or overlapping backfills: a work item analysed twice adds nothing.
 */

/** One record's contribution to one correlation key. */
export interface Observation<A> {
  /** What is judged as one: an instance session, a principal's activity, an account's address. */
  key: string;
  /** The record's contribution, already in aggregate form (JSON-serialisable). */
  aggregate: A;
}

/**
 * A verdict on a key: one finding. Its id is derived from the detector, the identity key (the
 * judged key unless `identityKey` names another) and the subject.
 */
export interface Verdict {
  /**
   * Stable within the key: the finding's id is derived from the detector, the key and the
   * subject, so judging a key again never stores a finding twice, and a new subject (another
   * thief address, another window) is a new finding.
   */
  subject: string;
  /**
   * Optional: the key the finding's id belongs to, when it is not the judged key. A verdict that
   * two keys can each reach (a burst across two days' keys, judged from either) names the same
   * key and subject from both, so judging either key, or both, stores one finding.
   */
  identityKey?: string;
  /** The record the finding shows: the first call that supports the verdict. */
  record: CloudTrailRecord;
  /** The log object that record came from. */
  objectKey: string;
  match: DetectorMatch;
}

/** Reads the joined aggregate of another key of the same detector (evidence, e.g. an account's egress). */
export type AggregateLookup<A> = (key: string) => Promise<A | undefined>;

/** A detector whose verdict needs more than one record; see the comment at the top of this file. */
export interface CorrelatingDetector<A = unknown> {
  kind: 'correlating';
  meta: DetectorMetadata;
  /** Pure and total, never throws; may return several observations (a session and its account's address). */
  observe(record: CloudTrailRecord, objectKey: string): readonly Observation<A>[] | undefined;
  /** The only events `observe` can observe, when it says so (as `StatelessDetector.events`). */
  events?: EventsBySource;
  /**
   * Joins two aggregates: associative, commutative and idempotent, and bounded (the result stays
   * well under {@link MAX_AGGREGATE_BYTES} as JSON whatever the input: cap sets and lists).
   */
  merge(a: A, b: A): A;
  /**
   * Optional fast path for Analyze, which joins an observation per record into an aggregate it
   * owns: may change `into` and return it, and must give what `merge(into, observation)` gives.
   */
  accumulate?(into: A, observation: A): A;
  /**
   * Optional faster path for Analyze: joins the record's observations into `joined` (key → the
   * work item's aggregate so far) in place, without building them. It must leave `joined` exactly
   * as `observe` would, each observation then set under its key when new or else joined with
   * `accumulate`/`merge` (equal as data; the order of an object's keys may differ). Analyze owns
   * the map and its values and gives them to this detector only: it may change them, take them
   * over and replace them, but keep no reference to them. Total like `observe`; one that throws
   * anyway loses the record's observations (any part already joined may stay).
   */
  observeInto?(record: CloudTrailRecord, objectKey: string, joined: Map<string, A>): void;
  /**
   * Optional: the pack a key is stored in. Analyze stores the aggregates of one work item whose
   * keys share a pack as one item (split only by size) instead of one item per key, and the keys
   * of a pack fall in one Correlate shard, which reads the pack once. Pure and total; a pack
   * should hold a few to a few hundred keys (e.g. an account's principals of a day, by bucket).
   */
  pack?(key: string): string;
  /** Whether Correlate must judge this key; keys that are only evidence for others answer false. Default: all. */
  judges?(key: string): boolean;
  /** The verdicts the key's joined aggregate supports, judged in eventTime order. */
  judge(key: string, aggregate: A, lookup: AggregateLookup<A>): readonly Verdict[] | Promise<readonly Verdict[]>;
}

/**
 * Largest aggregate a detector may produce, as JSON bytes (a DynamoDB item is at most 400 KB, and
 * the store gzips aggregates). 128 KiB lets a burst key hold a principal's whole day of 10-minute
 * windows with capped fields (detectors/burst.ts); most aggregates stay far smaller.
 */
export const MAX_AGGREGATE_BYTES = 128 * 1024;

/**
 * The reference semantics of the correlation stage, in memory: observe every record, join per
 * key, judge every judged key. Tests of correlating detectors use it; the real stage (Analyze's
 * aggregates, the state table, Correlate) must give the same verdicts.
 */
export async function correlateInMemory<A>(
  detector: CorrelatingDetector<A>,
  objects: readonly { key: string; records: readonly CloudTrailRecord[] }[],
): Promise<Verdict[]> {
  const joined = new Map<string, A>();
  for (const object of objects) {
    for (const record of object.records) {
      for (const observation of detector.observe(record, object.key) ?? []) {
        const known = joined.get(observation.key);
        joined.set(
          observation.key,
          known === undefined ? observation.aggregate : detector.merge(known, observation.aggregate),
        );
      }
    }
  }
  const lookup: AggregateLookup<A> = async (key) => joined.get(key);
  const verdicts: Verdict[] = [];
  // One verdict per finding id, as the store's putIfNew keeps one finding: the first judged.
  const ids = new Set<string>();
  for (const key of [...joined.keys()].sort()) {
    if (detector.judges && !detector.judges(key)) continue;
    for (const verdict of await detector.judge(key, joined.get(key)!, lookup)) {
      const id = correlationFindingId(detector.meta.id, verdict.identityKey ?? key, verdict.subject);
      if (!ids.has(id)) verdicts.push(verdict);
      ids.add(id);
    }
  }
  return verdicts;
}

/**
 * Shards of the correlation stage: Analyze files each touched key under the shard its digest
 * falls in, and Correlate judges each shard in its own invocation. The state machine's
 * `States.ArrayRange(0, CORRELATION_SHARDS - 1, 1)` must match (tested).
 */
export const CORRELATION_SHARDS = 16;

/** A fixed-length digest of a detector's key: the store's partition key and the key's shard. */
export function keyDigest(detector: string, key: string): string {
  return createHash('sha256').update(detector).update('\u0000').update(key).digest('hex').slice(0, 40);
}

/**
 * A stable bucket of a text in [0, buckets) (FNV-1a): spreads keys over packs or evidence buckets.
 * Nothing depends on it being a strong hash; it must never change, or stored packs are lost.
 */
export function bucketOf(text: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash % buckets;
}

/** The shard of a key, in [0, shards). */
export function shardOf(detector: string, key: string, shards = CORRELATION_SHARDS): number {
  return Number.parseInt(keyDigest(detector, key).slice(0, 8), 16) % shards;
}

/**
 * The finding id of a verdict: `<detector>#corr-<digest of key and subject>`, so judging a key
 * again (a retry, a later run, a late file) never stores a finding twice, any key length fits
 * DynamoDB's key limits, and a new subject is a new finding.
 */
export function correlationFindingId(detector: string, key: string, subject: string): string {
  const digest = createHash('sha256').update(key).update('\u0000').update(subject).digest('hex').slice(0, 32);
  return `${detector}#corr-${digest}`;
}

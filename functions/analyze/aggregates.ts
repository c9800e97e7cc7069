import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { MAX_AGGREGATE_BYTES, type CorrelatingDetector } from '../core/correlation.ts';
import type { Detector } from '../core/detector.ts';
import type { StoredAggregate } from '../core/ports.ts';

/**
 * Joins the observations of every correlating detector over one work item: one aggregate per
 * key, so Analyze writes once per key per work item, never once per record.
 */
export class AggregateCollector {
  private readonly detectors: readonly CorrelatingDetector[];
  /** Detector id → key → the work item's aggregate so far. */
  private readonly joined = new Map<string, Map<string, unknown>>();
  /** Detectors whose observe, observeInto or merge threw, with the first error: reported, never fatal. */
  readonly errors = new Map<string, string>();

  constructor(detectors: readonly Detector[]) {
    this.detectors = detectors.filter((d): d is CorrelatingDetector => d.kind === 'correlating');
    for (const detector of this.detectors) this.joined.set(detector.meta.id, new Map());
  }

  get active(): boolean {
    return this.detectors.length > 0;
  }

  /** Joins the record's observations; `detectors`: only these (the prefilter's candidates, a subset). */
  observe(
    record: CloudTrailRecord,
    objectKey: string,
    detectors: readonly CorrelatingDetector[] = this.detectors,
  ): void {
    for (const detector of detectors) {
      const keys = this.joined.get(detector.meta.id)!;
      try {
        if (detector.observeInto) {
          detector.observeInto(record, objectKey, keys);
          continue;
        }
        for (const { key, aggregate } of detector.observe(record, objectKey) ?? []) {
          const known = keys.get(key);
          // The work item's aggregate is the collector's own: the detector may join into it in place.
          keys.set(
            key,
            known === undefined
              ? aggregate
              : detector.accumulate
                ? detector.accumulate(known, aggregate)
                : detector.merge(known, aggregate),
          );
        }
      } catch (error) {
        // The contract says observe, observeInto and merge never throw; a detector that does
        // anyway loses this record's observation, not the work item.
        if (!this.errors.has(detector.meta.id))
          this.errors.set(detector.meta.id, String((error as Error)?.message ?? error));
      }
    }
  }

  /**
   * The work item's aggregates, in a stable order, and those refused for being larger than
   * {@link MAX_AGGREGATE_BYTES} (a detector whose merge is not bounded).
   */
  drain(): { aggregates: StoredAggregate[]; oversized: StoredAggregate[] } {
    const aggregates: StoredAggregate[] = [];
    const oversized: StoredAggregate[] = [];
    for (const [detector, keys] of this.joined) {
      const pack = this.detectors.find((d) => d.meta.id === detector)?.pack;
      for (const key of [...keys.keys()].sort()) {
        const entry: StoredAggregate = { detector, key, aggregate: keys.get(key) };
        if (pack) entry.pack = pack(key);
        (Buffer.byteLength(JSON.stringify(entry.aggregate)) > MAX_AGGREGATE_BYTES ? oversized : aggregates).push(entry);
      }
      keys.clear();
    }
    return { aggregates, oversized };
  }
}

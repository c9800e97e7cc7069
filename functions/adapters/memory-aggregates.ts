import { gzipSync } from 'node:zlib';
import { shardOf } from '../core/correlation.ts';
import type { AggregateStore, CorrelateResult, StoredAggregate } from '../core/ports.ts';

/**
 * The aggregate store in memory, with the DynamoDB adapter's semantics (a work item's items
 * overwrite that work item's earlier ones), for tests and the benchmark. `writes` counts the
 * items a DynamoDB store would write (aggregates and touched-key lists).
 */
export class MemoryAggregateStore implements AggregateStore {
  /** `detector \0 key` → `runId#batch` → aggregate (cloned through JSON, as the table stores it). */
  readonly aggregates = new Map<string, Map<string, unknown>>();
  readonly touched = new Map<string, { detector: string; key: string }[]>();
  readonly results = new Map<string, CorrelateResult>();
  writes = 0;
  /** DynamoDB write units those items would cost: 1 per KB, aggregates of 1 KB or more gzip (as the adapter stores them). */
  writeUnits = 0;

  async putWorkItem(runId: string, batch: number, aggregates: readonly StoredAggregate[]): Promise<number> {
    if (aggregates.length === 0) return 0;
    for (const { detector, key, aggregate } of aggregates) {
      const id = `${detector}\u0000${key}`;
      let items = this.aggregates.get(id);
      if (!items) this.aggregates.set(id, (items = new Map()));
      const json = JSON.stringify(aggregate);
      items.set(`${runId}#${batch}`, JSON.parse(json));
      const bytes = json.length >= 1024 ? gzipSync(json).byteLength : json.length;
      // Key attributes and the TTL add about 100 bytes to each item.
      this.writeUnits += Math.ceil((bytes + key.length + 100) / 1024);
    }
    this.touched.set(
      `${runId}#${batch}`,
      aggregates.map(({ detector, key }) => ({ detector, key })),
    );
    this.writeUnits += Math.ceil(
      gzipSync(JSON.stringify(aggregates.map(({ detector, key }) => [detector, key]))).byteLength / 1024,
    );
    const written = aggregates.length + 1;
    this.writes += written;
    return written;
  }

  async *touchedKeys(runId: string, shard: number, shards: number): AsyncIterable<{ detector: string; key: string }[]> {
    for (const [id, keys] of this.touched) {
      if (id.startsWith(`${runId}#`))
        yield keys.filter(({ detector, key }) => shardOf(detector, key, shards) === shard);
    }
  }

  async readAggregates(detector: string, key: string): Promise<unknown[]> {
    return [...(this.aggregates.get(`${detector}\u0000${key}`)?.values() ?? [])].map((a) =>
      JSON.parse(JSON.stringify(a)),
    );
  }

  async putCorrelateResult(runId: string, result: CorrelateResult): Promise<void> {
    this.results.set(`${runId}#${result.shard}`, structuredClone(result));
  }

  async listCorrelateResults(runId: string): Promise<CorrelateResult[]> {
    return [...this.results.entries()].filter(([id]) => id.startsWith(`${runId}#`)).map(([, result]) => result);
  }
}

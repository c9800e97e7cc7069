import { gzipSync } from 'node:zlib';
import { packParts, touchedShard } from './aggregates.ts';
import type { CorrelateResult } from '../core/payloads.ts';
import type { AggregateStore, StoredAggregate } from '../core/ports.ts';

/**
 * The aggregate store in memory, with the DynamoDB adapter's semantics (a work item's items
 * overwrite that work item's earlier ones), for tests and the benchmark. `writes` counts the
 * items a DynamoDB store would write (aggregates, pack parts and touched-key lists); keys are
 * read by key whether packed or not (the same answers as the DynamoDB store's pack reads).
 */
export class MemoryAggregateStore implements AggregateStore {
  /** `detector \0 key` → `runId#batch` → aggregate (cloned through JSON, as the table stores it). */
  readonly aggregates = new Map<string, Map<string, unknown>>();
  readonly touched = new Map<string, { detector: string; key: string; pack?: string }[]>();
  readonly results = new Map<string, CorrelateResult>();
  writes = 0;
  /** DynamoDB write units those items would cost: 1 per KB, aggregates of 1 KB or more gzip (as the adapter stores them). */
  writeUnits = 0;

  async putWorkItem(runId: string, batch: number, aggregates: readonly StoredAggregate[]): Promise<number> {
    if (aggregates.length === 0) return 0;
    let unpacked = 0;
    for (const { detector, key, aggregate, pack } of aggregates) {
      const id = `${detector}\u0000${key}`;
      let items = this.aggregates.get(id);
      if (!items) this.aggregates.set(id, (items = new Map()));
      const json = JSON.stringify(aggregate);
      items.set(`${runId}#${batch}`, JSON.parse(json));
      if (pack !== undefined) continue;
      unpacked++;
      const bytes = json.length >= 1024 ? gzipSync(json).byteLength : json.length;
      // Key attributes and the TTL add about 100 bytes to each item.
      this.writeUnits += Math.ceil((bytes + key.length + 100) / 1024);
    }
    // Packed keys are written as the DynamoDB adapter writes them: one item per pack part.
    const parts = packParts(aggregates);
    for (const part of parts) this.writeUnits += Math.ceil((part.body.byteLength + part.pack.length + 100) / 1024);
    this.touched.set(
      `${runId}#${batch}`,
      aggregates.map(({ detector, key, pack }) => (pack === undefined ? { detector, key } : { detector, key, pack })),
    );
    this.writeUnits += Math.ceil(
      gzipSync(JSON.stringify(aggregates.map(({ detector, key, pack }) => [detector, key, pack]))).byteLength / 1024,
    );
    const written = unpacked + parts.length + 1;
    this.writes += written;
    return written;
  }

  async *touchedKeys(runId: string, shard: number, shards: number): AsyncIterable<{ detector: string; key: string }[]> {
    for (const [id, keys] of this.touched) {
      if (id.startsWith(`${runId}#`))
        yield keys
          .filter(({ detector, key, pack }) => touchedShard(detector, key, pack, shards) === shard)
          .map(({ detector, key }) => ({ detector, key }));
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

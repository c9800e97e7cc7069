import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchWriteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_AGGREGATE_TTL_DAYS } from '../core/config.ts';
import { keyDigest, shardOf } from '../core/correlation.ts';
import type { CorrelateResult } from '../core/payloads.ts';
import type { AggregateStore, StoredAggregate } from '../core/ports.ts';
import { STATE_TABLE } from './tables.ts';

/** DynamoDB's limit of one BatchWriteItem call. */
const BATCH_WRITE_MAX = 25;
/** Raw JSON bytes of touched keys per item: gzip of this stays well under DynamoDB's 400 KB item limit. */
const TOUCHED_PART_BYTES = 256 * 1024;
/** Aggregates larger than this are stored gzip (write units are counted per KB). */
const GZIP_FROM_BYTES = 1024;
/** Attempts at a batch write's unprocessed items before the work item fails (and is retried). */
const UNPROCESSED_ATTEMPTS = 8;
/** Raw JSON bytes gathered into one pack part before it is compressed. */
const PACK_PART_RAW_BYTES = 4 * 1024 * 1024;
/** Largest gzip body of a pack part: a part above it is split in two (DynamoDB items are at most 400 KB). */
const PACK_PART_GZIP_BYTES = 320 * 1024;
/** Decoded JSON bytes of packs a Correlate invocation keeps; past it the cache starts again. */
const PACK_CACHE_BYTES = 96 * 1024 * 1024;

/** One stored part of a pack: the detector, the pack, and gzip JSON of `[key, aggregate][]`. */
export interface PackPart {
  detector: string;
  pack: string;
  body: Uint8Array;
}

/**
 * The work item's packed aggregates as stored parts, in a stable order: per detector and pack,
 * the keys in order, cut where the raw JSON passes 4 MB, and halved until each gzip body fits
 * {@link PACK_PART_GZIP_BYTES}. Aggregates without a pack are left out (stored one item a key).
 */
export function packParts(aggregates: readonly StoredAggregate[]): PackPart[] {
  const groups = new Map<string, { detector: string; pack: string; entries: [string, string][] }>();
  for (const { detector, key, aggregate, pack } of aggregates) {
    if (pack === undefined) continue;
    const id = `${detector}\u0000${pack}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { detector, pack, entries: [] }));
    group.entries.push([key, JSON.stringify(aggregate)]);
  }
  const parts: PackPart[] = [];
  const emit = (detector: string, pack: string, entries: [string, string][]) => {
    const body = gzipSync(`[${entries.map(([key, json]) => `[${JSON.stringify(key)},${json}]`).join(',')}]`);
    if (body.byteLength <= PACK_PART_GZIP_BYTES || entries.length === 1) {
      parts.push({ detector, pack, body });
      return;
    }
    const half = Math.ceil(entries.length / 2);
    emit(detector, pack, entries.slice(0, half));
    emit(detector, pack, entries.slice(half));
  };
  for (const id of [...groups.keys()].sort()) {
    const { detector, pack, entries } = groups.get(id)!;
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let start = 0;
    let raw = 0;
    for (let i = 0; i < entries.length; i++) {
      raw += entries[i]![0].length + entries[i]![1].length;
      if (raw >= PACK_PART_RAW_BYTES || i === entries.length - 1) {
        emit(detector, pack, entries.slice(start, i + 1));
        start = i + 1;
        raw = 0;
      }
    }
  }
  return parts;
}

/** The partition of a pack: apart from every key's (`\u0001` cannot start a key's digest input). */
export function packPartition(detector: string, pack: string): string {
  return `AGG#${keyDigest(detector, `\u0001pack\u0001${pack}`)}`;
}

/** The shard of a touched key: its pack's when it has one, so a pack is read by one shard. */
export function touchedShard(detector: string, key: string, pack: string | undefined, shards: number): number {
  return shardOf(detector, pack === undefined ? key : `\u0001pack\u0001${pack}`, shards);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
type Item = Record<string, unknown>;

/**
 * The aggregate store in the state table:
 * - `AGG#<digest of detector and key>` / `<runId>#<batch>`: one work item's aggregate of one key,
 *   so a retried work item overwrites its own and Correlate reads a key with one paged Query;
 * - `AGG#<digest of detector and pack>` / `<runId>#<batch>#<part>`: one work item's aggregates of
 *   the keys of a pack (gzip `[key, aggregate][]`), for detectors that pack their keys: one write
 *   per pack instead of one per key; Correlate reads a pack once per invocation (cached);
 * - `RUN#<runId>` / `TOUCHED#<batch>#<part>`: the keys the work item touched, gzip JSON;
 * - `RUN#<runId>` / `CORRELATE#<shard>`: what each Correlate shard judged and stored.
 * Every item carries the table's TTL attribute.
 */
export class DynamoAggregateStore implements AggregateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlDays: number = DEFAULT_AGGREGATE_TTL_DAYS,
    private readonly now: () => Date = () => new Date(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  private expiresAt(days: number): number {
    return Math.floor(this.now().getTime() / 1000) + Math.round(days * 86_400);
  }

  /** Decoded packs: partition → key → aggregates; cleared when an invocation starts (touchedKeys). */
  private packs = new Map<string, Promise<Map<string, unknown[]>>>();
  private packBytes = 0;

  async putWorkItem(runId: string, batch: number, aggregates: readonly StoredAggregate[]): Promise<number> {
    if (aggregates.length === 0) return 0;
    const expiresAt = this.expiresAt(this.ttlDays);
    const runExpiresAt = this.expiresAt(STATE_TABLE.runRetentionDays);
    const items: Item[] = aggregates
      .filter((entry) => entry.pack === undefined)
      .map(({ detector, key, aggregate }) => {
        const json = JSON.stringify(aggregate);
        const body = json.length >= GZIP_FROM_BYTES ? { aggz: gzipSync(json) } : { agg: json };
        return {
          pk: `AGG#${keyDigest(detector, key)}`,
          sk: `${runId}#${pad(batch, 6)}`,
          detector,
          key,
          ...body,
          [STATE_TABLE.ttlAttribute]: expiresAt,
        };
      });
    let index = 0;
    let previous = '';
    for (const { detector, pack, body } of packParts(aggregates)) {
      const partition = packPartition(detector, pack);
      index = partition === previous ? index + 1 : 0;
      previous = partition;
      items.push({
        pk: partition,
        sk: `${runId}#${pad(batch, 6)}#${pad(index, 4)}`,
        detector,
        pack,
        aggz: body,
        [STATE_TABLE.ttlAttribute]: expiresAt,
      });
    }
    // The touched list goes last: Correlate only looks for keys it names, so a crash half-way
    // leaves nothing half-visible (the retry writes everything again).
    let part: string[][] = [];
    let bytes = 0;
    const parts: string[][][] = [];
    for (const { detector, key, pack } of aggregates) {
      const size = detector.length + key.length + (pack?.length ?? 0) + 12;
      if (part.length > 0 && bytes + size > TOUCHED_PART_BYTES) {
        parts.push(part);
        part = [];
        bytes = 0;
      }
      part.push(pack === undefined ? [detector, key] : [detector, key, pack]);
      bytes += size;
    }
    parts.push(part);
    await this.batchWrite(items);
    await this.batchWrite(
      parts.map((keys, index) => ({
        pk: `RUN#${runId}`,
        sk: `TOUCHED#${pad(batch, 6)}#${pad(index, 3)}`,
        keys: gzipSync(JSON.stringify(keys)),
        [STATE_TABLE.ttlAttribute]: runExpiresAt,
      })),
    );
    return items.length + parts.length;
  }

  /** BatchWriteItem in calls of 25, sending unprocessed items again with a growing wait. */
  private async batchWrite(items: readonly Item[]): Promise<void> {
    for (let start = 0; start < items.length; start += BATCH_WRITE_MAX) {
      let requests = items.slice(start, start + BATCH_WRITE_MAX).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > UNPROCESSED_ATTEMPTS)
          throw new Error(
            `BatchWriteItem left ${requests.length} items unprocessed after ${UNPROCESSED_ATTEMPTS} attempts`,
          );
        if (attempt > 1) await this.sleep(Math.min(2000, 25 * 2 ** attempt) * Math.random());
        const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (answer.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
    }
  }

  async *touchedKeys(runId: string, shard: number, shards: number): AsyncIterable<{ detector: string; key: string }[]> {
    // A Correlate invocation starts here: packs read before (another run) may have grown since.
    this.packs = new Map();
    this.packBytes = 0;
    for await (const items of this.query(`RUN#${runId}`, 'TOUCHED#')) {
      const page: { detector: string; key: string }[] = [];
      for (const item of items) {
        const entries = JSON.parse(gunzipSync(item.keys as Uint8Array).toString('utf8')) as [string, string, string?][];
        for (const [detector, key, pack] of entries) {
          if (touchedShard(detector, key, pack, shards) === shard) page.push({ detector, key });
        }
      }
      yield page;
    }
  }

  async readAggregates(detector: string, key: string, pack?: string): Promise<unknown[]> {
    if (pack !== undefined) return (await this.readPack(detector, pack)).get(key) ?? [];
    const found: unknown[] = [];
    for await (const items of this.query(`AGG#${keyDigest(detector, key)}`)) {
      for (const item of items) {
        // A digest collision would mix two keys: keep only this one's.
        if (item.detector !== detector || item.key !== key) continue;
        const json = item.aggz ? gunzipSync(item.aggz as Uint8Array).toString('utf8') : String(item.agg);
        found.push(JSON.parse(json));
      }
    }
    return found;
  }

  /** Every stored part of a pack, decoded and grouped by key; read once per invocation. */
  private readPack(detector: string, pack: string): Promise<Map<string, unknown[]>> {
    const partition = packPartition(detector, pack);
    let known = this.packs.get(partition);
    if (!known) {
      if (this.packBytes > PACK_CACHE_BYTES) {
        this.packs = new Map();
        this.packBytes = 0;
      }
      known = (async () => {
        const byKey = new Map<string, unknown[]>();
        for await (const items of this.query(partition)) {
          for (const item of items) {
            // A digest collision would mix two packs: keep only this one's.
            if (item.detector !== detector || item.pack !== pack) continue;
            const json = gunzipSync(item.aggz as Uint8Array).toString('utf8');
            this.packBytes += json.length;
            for (const [k, aggregate] of JSON.parse(json) as [string, unknown][]) {
              const list = byKey.get(k);
              if (list) list.push(aggregate);
              else byKey.set(k, [aggregate]);
            }
          }
        }
        return byKey;
      })();
      this.packs.set(partition, known);
      // A failed read is not remembered: the next key asks again (and the invocation fails if it must).
      known.catch(() => this.packs.delete(partition));
    }
    return known;
  }

  async putCorrelateResult(runId: string, result: CorrelateResult): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `RUN#${runId}`,
          sk: `CORRELATE#${pad(result.shard, 3)}`,
          result: JSON.stringify(result),
          [STATE_TABLE.ttlAttribute]: this.expiresAt(STATE_TABLE.runRetentionDays),
        },
      }),
    );
  }

  async listCorrelateResults(runId: string): Promise<CorrelateResult[]> {
    const results: CorrelateResult[] = [];
    for await (const items of this.query(`RUN#${runId}`, 'CORRELATE#')) {
      for (const item of items) results.push(JSON.parse(String(item.result)) as CorrelateResult);
    }
    return results;
  }

  /** Every item of a partition (optionally under a sort-key prefix), page by page, read after write. */
  private async *query(pk: string, prefix?: string): AsyncIterable<Item[]> {
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: prefix ? { ':pk': pk, ':prefix': prefix } : { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      yield (page.Items ?? []) as Item[];
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

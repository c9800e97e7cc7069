import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchWriteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_AGGREGATE_TTL_DAYS } from '../core/config.ts';
import { keyDigest, shardOf } from '../core/correlation.ts';
import type { AggregateStore, CorrelateResult, StoredAggregate } from '../core/ports.ts';
import { STATE_TABLE } from './tables.ts';

/** DynamoDB's limit of one BatchWriteItem call. */
const BATCH_WRITE_MAX = 25;
/** Raw JSON bytes of touched keys per item: gzip of this stays well under DynamoDB's 400 KB item limit. */
const TOUCHED_PART_BYTES = 256 * 1024;
/** Aggregates larger than this are stored gzip (write units are counted per KB). */
const GZIP_FROM_BYTES = 1024;
/** Attempts at a batch write's unprocessed items before the work item fails (and is retried). */
const UNPROCESSED_ATTEMPTS = 8;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
type Item = Record<string, unknown>;

/**
 * The aggregate store in the state table:
 * - `AGG#<digest of detector and key>` / `<runId>#<batch>`: one work item's aggregate of one key,
 *   so a retried work item overwrites its own and Correlate reads a key with one paged Query;
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

  async putWorkItem(runId: string, batch: number, aggregates: readonly StoredAggregate[]): Promise<number> {
    if (aggregates.length === 0) return 0;
    const expiresAt = this.expiresAt(this.ttlDays);
    const runExpiresAt = this.expiresAt(STATE_TABLE.runRetentionDays);
    const items: Item[] = aggregates.map(({ detector, key, aggregate }) => {
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
    // The touched list goes last: Correlate only looks for keys it names, so a crash half-way
    // leaves nothing half-visible (the retry writes everything again).
    let part: [string, string][] = [];
    let bytes = 0;
    const parts: [string, string][][] = [];
    for (const { detector, key } of aggregates) {
      const size = detector.length + key.length + 8;
      if (part.length > 0 && bytes + size > TOUCHED_PART_BYTES) {
        parts.push(part);
        part = [];
        bytes = 0;
      }
      part.push([detector, key]);
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
    for await (const items of this.query(`RUN#${runId}`, 'TOUCHED#')) {
      const page: { detector: string; key: string }[] = [];
      for (const item of items) {
        for (const [detector, key] of JSON.parse(gunzipSync(item.keys as Uint8Array).toString('utf8')) as [
          string,
          string,
        ][]) {
          if (shardOf(detector, key, shards) === shard) page.push({ detector, key });
        }
      }
      yield page;
    }
  }

  async readAggregates(detector: string, key: string): Promise<unknown[]> {
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

import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import type { BatchResult } from '../core/payloads.ts';
import { folderOf, type RunPlan, type RunStore } from '../core/ports.ts';
import { STATE_TABLE } from './tables.ts';

const pad = (batch: number) => String(batch).padStart(6, '0');
/**
 * Ledger entries outlive the window scheduled runs list (the delivery slack, 24 h, after the last
 * complete run) by days: a schedule that fails for less than this re-lists nothing it cannot
 * recognise. DynamoDB TTL deletes them after; dynalite never does, so a local ledger keeps every key.
 */
export const LEDGER_RETENTION_DAYS = 14;
const LEDGER = 'LEDGER#';
/** BatchWriteItem's limit. */
const WRITE_BATCH = 25;
const SCHEDULE = { pk: 'SCHEDULE', start: 'start', lease: 'lease' } as const;

/** Run bookkeeping in the state table. */
export class DynamoRunStore implements RunStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiresAt(): number {
    return Math.floor(this.now().getTime() / 1000) + STATE_TABLE.runRetentionDays * 86_400;
  }

  private async put(pk: string, sk: string, attributes: Record<string, unknown>): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk, sk, ...attributes, [STATE_TABLE.ttlAttribute]: this.expiresAt() },
      }),
    );
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const answer = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return answer.Item;
  }

  async putPlan(plan: RunPlan): Promise<void> {
    await this.put(`RUN#${plan.runId}`, 'PLAN', { plan: JSON.stringify(plan) });
  }

  async getPlan(runId: string): Promise<RunPlan | undefined> {
    const item = await this.get(`RUN#${runId}`, 'PLAN');
    return item ? (JSON.parse(String(item.plan)) as RunPlan) : undefined;
  }

  async putManifestBatch(runId: string, batch: number, keys: string[]): Promise<void> {
    // Keys of one batch share long prefixes: gzip keeps a 500-key batch to a few KB.
    await this.put(`RUN#${runId}`, `MANIFEST#${pad(batch)}`, { keys: gzipSync(JSON.stringify(keys)) });
  }

  async getManifestBatch(runId: string, batch: number): Promise<string[]> {
    const item = await this.get(`RUN#${runId}`, `MANIFEST#${pad(batch)}`);
    if (!item) throw new Error(`run ${runId} has no manifest batch ${batch}`);
    return JSON.parse(gunzipSync(item.keys as Uint8Array).toString('utf8')) as string[];
  }

  async putBatchResult(runId: string, result: BatchResult): Promise<void> {
    await this.put(`RUN#${runId}`, `RESULT#${pad(result.batch)}`, { result: JSON.stringify(result) });
  }

  async listBatchResults(runId: string): Promise<BatchResult[]> {
    const results: BatchResult[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':prefix': 'RESULT#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) results.push(JSON.parse(String(item.result)) as BatchResult);
      start = page.LastEvaluatedKey;
    } while (start);
    return results;
  }

  async analyzedIn(folder: string, names: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (names.length === 0) return found;
    const wanted = new Set(names);
    let low = names[0]!;
    let high = low;
    for (const name of names) {
      if (name < low) low = name;
      if (name > high) high = name;
    }
    // One Query over the range of the names asked for: reads cost by the bytes returned (4 KB a
    // unit), so a page of 1,000 keys costs about 40 units, where BatchGetItem would cost 1,000.
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
          ExpressionAttributeValues: { ':pk': LEDGER + folder, ':low': low, ':high': high },
          ProjectionExpression: 'sk',
          // Strongly consistent: the previous run's Publish wrote these just before releasing the lease.
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) if (wanted.has(String(item.sk))) found.add(String(item.sk));
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  async markAnalyzed(keys: readonly string[]): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + LEDGER_RETENTION_DAYS * 86_400;
    // BatchWriteItem refuses a request that names one key twice.
    const unique = [...new Set(keys)];
    const limit = pLimit(4);
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += WRITE_BATCH) chunks.push(unique.slice(i, i + WRITE_BATCH));
    // All settle before a failure is thrown, so no write lands after the caller gave up.
    const settled = await Promise.allSettled(
      chunks.map((chunk) =>
        limit(() =>
          this.batchWrite(
            chunk.map((key) => {
              const folder = folderOf(key);
              return {
                PutRequest: {
                  Item: { pk: LEDGER + folder, sk: key.slice(folder.length), [STATE_TABLE.ttlAttribute]: expiresAt },
                },
              };
            }),
          ),
        ),
      ),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** One BatchWriteItem, with what DynamoDB left unprocessed (throttling) sent again after a backoff. */
  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 8)
        throw new Error(`the ledger write left ${pending.length} items unprocessed after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
      const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
      pending = (answer.UnprocessedItems?.[this.table] ?? []) as Record<string, unknown>[];
    }
  }

  async scheduleStart(initial?: string): Promise<string | null> {
    const item = await this.get(SCHEDULE.pk, SCHEDULE.start);
    if (typeof item?.at === 'string') return item.at;
    if (initial === undefined) return null;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: SCHEDULE.pk, sk: SCHEDULE.start, at: initial },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return initial;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const stored = await this.get(SCHEDULE.pk, SCHEDULE.start);
      return typeof stored?.at === 'string' ? stored.at : initial;
    }
  }

  async advanceScheduleStart(to: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: SCHEDULE.pk, sk: SCHEDULE.start },
          UpdateExpression: 'SET #at = :to',
          // Only forwards: an older run finishing after a newer one must not move it back.
          ConditionExpression: 'attribute_not_exists(#at) OR #at < :to',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':to': to },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async acquireLease(runId: string, now: string, until: string): Promise<string | null> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: SCHEDULE.pk, sk: SCHEDULE.lease, runId, until },
          // Free, expired, or already ours (a retried Plan).
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR #runId = :runId',
          ExpressionAttributeNames: { '#until': 'until', '#runId': 'runId' },
          ExpressionAttributeValues: { ':now': now, ':runId': runId },
        }),
      );
      return null;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const holder = await this.get(SCHEDULE.pk, SCHEDULE.lease);
      return String(holder?.runId ?? 'another run');
    }
  }

  async releaseLease(runId: string): Promise<void> {
    try {
      // An update to the past rather than a delete: the roles never get DeleteItem.
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: SCHEDULE.pk, sk: SCHEDULE.lease },
          UpdateExpression: 'SET #until = :released',
          ConditionExpression: '#runId = :runId',
          ExpressionAttributeNames: { '#until': 'until', '#runId': 'runId' },
          ExpressionAttributeValues: { ':released': '', ':runId': runId },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}

import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Finding } from '../core/findings.ts';
import { ALL_SCOPE, type BatchResult, type FindingsCounter, type FindingsStore, type PutOutcome, type RunPlan, type RunStore } from '../core/ports.ts';
import { FINDINGS_TABLE, STATE_TABLE } from './tables.ts';

/** The findings table, written with a conditional put per (detector, eventID). */
export class DynamoFindingsStore implements FindingsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putIfNew(finding: Finding): Promise<PutOutcome> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: finding,
          // Absent: a new finding. Same run and object: this run's own put, retried after a crash
          // half-way through the work item, so it still counts once. Anything else: a duplicate.
          ConditionExpression: 'attribute_not_exists(#id) OR (#runId = :runId AND #objectKey = :objectKey)',
          ExpressionAttributeNames: { '#id': FINDINGS_TABLE.partitionKey, '#runId': 'runId', '#objectKey': 'objectKey' },
          ExpressionAttributeValues: { ':runId': finding.runId, ':objectKey': finding.objectKey },
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return 'duplicate';
      throw error;
    }
  }
}

/** Counts a run's findings by detector through the by-run index, reading only the detector id. */
export class DynamoFindingsCounter implements FindingsCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async countByRun(runId: string): Promise<Record<string, number>> {
    const index = FINDINGS_TABLE.indexes.byRun;
    const counts: Record<string, number> = {};
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: '#run = :run',
          ProjectionExpression: '#detector',
          ExpressionAttributeNames: { '#run': index.partitionKey, '#detector': 'detector' },
          ExpressionAttributeValues: { ':run': runId },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const id = String(item.detector);
        counts[id] = (counts[id] ?? 0) + 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return counts;
  }
}

/** Filters of a findings query; all optional. */
export interface FindingsQuery {
  detector?: string;
  account?: string;
  principal?: string;
  runId?: string;
  since?: string;
  until?: string;
  limit?: number;
}

/**
 * Reads findings through the GSI that answers the most selective filter given (never a scan);
 * with no key filter it queries the detector index once per known detector. Newest first.
 */
export async function queryFindings(
  client: DynamoDBDocumentClient,
  table: string,
  query: FindingsQuery,
  detectorIds: readonly string[],
): Promise<Finding[]> {
  const { indexes } = FINDINGS_TABLE;
  const limit = query.limit ?? 100;
  const plans: { index: (typeof indexes)[keyof typeof indexes]; value: string }[] = query.runId
    ? [{ index: indexes.byRun, value: query.runId }]
    : query.detector
      ? [{ index: indexes.byDetector, value: query.detector }]
      : query.account
        ? [{ index: indexes.byAccount, value: query.account }]
        : query.principal
          ? [{ index: indexes.byPrincipal, value: query.principal }]
          : detectorIds.map((id) => ({ index: indexes.byDetector, value: id }));
  const results = await Promise.all(plans.map((plan) => queryIndex(client, table, plan.index, plan.value, query, limit)));
  return results
    .flat()
    .sort((a, b) => (a.eventTime < b.eventTime ? 1 : a.eventTime > b.eventTime ? -1 : a.id.localeCompare(b.id)))
    .slice(0, limit);
}

async function queryIndex(
  client: DynamoDBDocumentClient,
  table: string,
  index: { name: string; partitionKey: string; sortKey: string },
  value: string,
  query: FindingsQuery,
  limit: number,
): Promise<Finding[]> {
  const names: Record<string, string> = { '#pk': index.partitionKey };
  const values: Record<string, unknown> = { ':pk': value };
  let keyCondition = '#pk = :pk';
  // The time range goes into the key condition on event-time indexes.
  if (index.sortKey === 'eventTime' && (query.since || query.until)) {
    names['#t'] = 'eventTime';
    values[':since'] = query.since ?? '0000';
    values[':until'] = query.until ?? '9999';
    keyCondition += ' AND #t BETWEEN :since AND :until';
  }
  const filters: string[] = [];
  for (const [field, wanted] of [
    ['detector', query.detector],
    ['account', query.account],
    ['principal', query.principal],
  ] as const) {
    if (wanted === undefined || field === index.partitionKey) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = wanted;
    filters.push(`#${field} = :${field}`);
  }
  if (index.sortKey !== 'eventTime' && (query.since || query.until)) {
    names['#t'] = 'eventTime';
    values[':since'] = query.since ?? '0000';
    values[':until'] = query.until ?? '9999';
    filters.push('#t BETWEEN :since AND :until');
  }
  const input: QueryCommandInput = {
    TableName: table,
    IndexName: index.name,
    KeyConditionExpression: keyCondition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
  };
  if (filters.length > 0) input.FilterExpression = filters.join(' AND ');
  const found: Finding[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    found.push(...((page.Items ?? []) as Finding[]));
    start = page.LastEvaluatedKey;
  } while (start && found.length < limit);
  return found;
}

const pad = (batch: number) => String(batch).padStart(6, '0');
// The unfiltered schedule keeps the key it always had.
const checkpointKey = (scope: string) => (scope === ALL_SCOPE ? 'scheduled' : `scheduled#${scope}`);

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
    await this.client.send(new PutCommand({ TableName: this.table, Item: { pk, sk, ...attributes, [STATE_TABLE.ttlAttribute]: this.expiresAt() } }));
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const answer = await this.client.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }));
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

  async getCheckpoint(scope: string = ALL_SCOPE): Promise<string | null> {
    const item = await this.get('CHECKPOINT', checkpointKey(scope));
    return typeof item?.at === 'string' ? item.at : null;
  }

  async advanceCheckpoint(to: string, scope: string = ALL_SCOPE): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: 'CHECKPOINT', sk: checkpointKey(scope) },
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
}

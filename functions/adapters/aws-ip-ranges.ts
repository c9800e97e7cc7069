import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseAwsIpRanges } from '../core/addresses.ts';
import {
  cachedAwsRanges,
  prefixesOf,
  type AwsRangesCache,
  type AwsRangesSource,
  type CachedRanges,
  type RangesCacheState,
  type RangesFetcher,
  type RangesPublication,
} from '../core/aws-ranges.ts';
import { messageOf } from '../core/errors.ts';
import { STATE_TABLE } from './tables.ts';

/** The file is about 1.7 MB (2026) and grows slowly; a body past this is refused unread. */
export const MAX_RANGES_BYTES = 8 * 1024 * 1024;
/** A fetch (connect, headers and body) that takes longer is given up: a Lambda without egress waits no longer. */
export const FETCH_TIMEOUT_MS = 5_000;
/**
 * The compact copy (distinct prefixes, gzip) stored at most this large: DynamoDB's item limit is
 * 400 KB, and the copy of the 2026 file is a small fraction of it (docs/operations.md).
 */
export const MAX_CACHED_BYTES = 350 * 1024;
/** The cached copy outlives its day so a deployment that loses egress keeps judging with it. */
const CACHE_RETENTION_DAYS = 30;
/** The state table's partition of the cache: the copy and the last fetch attempt. */
const PK = 'AWS_IP_RANGES';
const COPY = 'COPY';
const FETCH = 'FETCH';

/** The published ranges could not be fetched: names the URL and the reason. */
export class AwsIpRangesFetchError extends Error {
  override readonly name = 'AwsIpRangesFetchError';
}

/**
 * Fetches ip-ranges.json over HTTP(S): at most `maxBytes` read, `timeoutMs` in all, no redirect,
 * the shape checked by the same parser as a bundled file, and kept as its distinct prefixes.
 */
export function httpRangesFetcher(url: string, options: { timeoutMs?: number; maxBytes?: number } = {}): RangesFetcher {
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? MAX_RANGES_BYTES;
  return {
    source: url,
    async fetch(): Promise<RangesPublication> {
      const text = await boundedGet(url, timeoutMs, maxBytes);
      try {
        parseAwsIpRanges(text, url);
      } catch (error) {
        throw new AwsIpRangesFetchError(messageOf(error), { cause: error });
      }
      const doc = JSON.parse(text) as Record<string, unknown>;
      const prefixes = prefixesOf(doc);
      if (prefixes.length === 0) throw new AwsIpRangesFetchError(`${url}: no prefixes`);
      return {
        prefixes,
        ...(typeof doc.syncToken === 'string' && /^\d{1,20}$/.test(doc.syncToken) ? { syncToken: doc.syncToken } : {}),
        ...(typeof doc.createDate === 'string' && /^[\d-]{1,32}$/.test(doc.createDate)
          ? { createDate: doc.createDate }
          : {}),
      };
    },
  };
}

async function boundedGet(url: string, timeoutMs: number, maxBytes: number): Promise<string> {
  const fail = (reason: string, cause?: unknown) =>
    new AwsIpRangesFetchError(`${url}: ${reason}`, cause === undefined ? {} : { cause });
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    throw fail(networkReason(error, timeoutMs), error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw fail(`HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw fail(`${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = response.body?.getReader();
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw fail(`body over the ${maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AwsIpRangesFetchError) throw error;
    throw fail(networkReason(error, timeoutMs), error);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** fetch's own errors say "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, a timeout). */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? messageOf(error);
}

/**
 * The cache in the state table: `AWS_IP_RANGES`/`COPY` holds the distinct prefixes (gzip, one a
 * line) with fetchedAt, syncToken and createDate; `AWS_IP_RANGES`/`FETCH` the last attempt, put
 * with a condition so one caller at a time fetches. One Query reads both.
 */
export class DynamoAwsRangesCache implements AwsRangesCache {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiresAt(): number {
    return Math.floor(this.now().getTime() / 1000) + CACHE_RETENTION_DAYS * 86_400;
  }

  async read(): Promise<RangesCacheState> {
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PK },
        ConsistentRead: true,
      }),
    );
    const state: RangesCacheState = {};
    for (const item of answer.Items ?? []) {
      if (item.sk === FETCH && typeof item.attemptedAt === 'string')
        state.attempt = { at: item.attemptedAt, failed: item.failed === true };
      if (item.sk === COPY && typeof item.fetchedAt === 'string' && item.prefixes instanceof Uint8Array) {
        const text = gunzipSync(item.prefixes, { maxOutputLength: MAX_RANGES_BYTES }).toString('utf8');
        state.cached = {
          prefixes: text ? text.split('\n') : [],
          fetchedAt: item.fetchedAt,
          ...(typeof item.syncToken === 'string' ? { syncToken: item.syncToken } : {}),
          ...(typeof item.createDate === 'string' ? { createDate: item.createDate } : {}),
        };
      }
    }
    return state;
  }

  async claim(at: string, since: string): Promise<boolean> {
    return this.conditionalPut(
      { pk: PK, sk: FETCH, attemptedAt: at, failed: false },
      'attribute_not_exists(pk) OR attemptedAt < :since',
      { ':since': since },
    );
  }

  async failed(at: string): Promise<void> {
    await this.conditionalPut({ pk: PK, sk: FETCH, attemptedAt: at, failed: true }, 'attemptedAt = :at', {
      ':at': at,
    });
  }

  async write(ranges: CachedRanges): Promise<void> {
    const prefixes = compactPrefixes(ranges.prefixes);
    const { prefixes: _, ...fields } = ranges;
    // A slower caller never replaces a newer copy.
    await this.conditionalPut(
      { pk: PK, sk: COPY, ...fields, count: ranges.prefixes.length, prefixes },
      'attribute_not_exists(pk) OR fetchedAt < :fetchedAt',
      { ':fetchedAt': ranges.fetchedAt },
    );
  }

  private async conditionalPut(
    item: Record<string, unknown>,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...item, [STATE_TABLE.ttlAttribute]: this.expiresAt() },
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

/** The prefixes as stored: gzip of one a line; refused past {@link MAX_CACHED_BYTES}. */
export function compactPrefixes(prefixes: readonly string[]): Uint8Array {
  const packed = gzipSync(prefixes.join('\n'), { level: 9 });
  if (packed.byteLength > MAX_CACHED_BYTES)
    throw new AwsIpRangesFetchError(
      `${prefixes.length} prefixes take ${packed.byteLength} bytes compressed, over the ${MAX_CACHED_BYTES}-byte item budget`,
    );
  return packed;
}

/** The ranges a deployed step judges with: fetched from `url` at most daily, cached in the state table. */
export function stateTableAwsRanges(
  client: DynamoDBDocumentClient,
  table: string,
  url: string,
  options: { now?: () => Date; log?: (line: string) => void } = {},
): AwsRangesSource {
  const now = options.now ?? (() => new Date());
  return cachedAwsRanges({
    cache: new DynamoAwsRangesCache(client, table, now),
    fetcher: httpRangesFetcher(url),
    now,
    ...(options.log ? { log: options.log } : {}),
  });
}

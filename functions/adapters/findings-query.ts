import {
  BatchGetCommand,
  GetCommand,
  type BatchGetCommandOutput,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { SEVERITIES, type Severity } from '../core/detector.ts';
import type { Finding } from '../core/findings.ts';
import { REVIEW_STATUSES, type ReviewStatus } from '../core/review.ts';
import { FINDINGS_TABLE } from './tables.ts';

/** Filters of a findings query; all optional, all combined (AND). */
export interface FindingsQuery {
  detector?: string;
  /** One account (kept for callers of the first version); merged with `accounts`. */
  account?: string;
  /** Any of these accounts. */
  accounts?: string[];
  /** A full ARN, an identity type (`Root`), or what the table shows (`user/alice`, `assumed-role/R/s`). */
  principal?: string;
  runId?: string;
  status?: ReviewStatus;
  /** This severity and above. */
  severity?: Severity;
  /** Event time bounds, inclusive, in the stored form (`2017-11-28T19:05:00Z`). */
  since?: string;
  until?: string;
  /** Findings returned, newest first (default 100); `total` counts them all. */
  limit?: number;
}

/** The fields every finding is filtered, counted, sorted and grouped on: read for every match. */
export const LIGHT_FIELDS = [
  'id',
  'eventTime',
  'detector',
  'severity',
  'title',
  'account',
  'principal',
  'sourceIPAddress',
  'status',
] as const;
/** A finding with only {@link LIGHT_FIELDS}. */
export type LightFinding = Pick<Finding, (typeof LIGHT_FIELDS)[number]>;

/** Findings newest first, cut to the limit, with how many matched in all. */
export interface FindingsPage {
  findings: Finding[];
  total: number;
  /** Every match, light fields only, newest first: what grouping and the report count. */
  matches: LightFinding[];
}

/** Raised when the store's table lacks an index this version queries (a store made by an older version). */
export class FindingsIndexError extends Error {
  override name = 'FindingsIndexError';
}

type Index = (typeof FINDINGS_TABLE.indexes)[keyof typeof FINDINGS_TABLE.indexes];

/**
 * Reads findings through the GSI that answers the most selective filter given, never a scan:
 * run, detector, principal (a full ARN or type), accounts, review status; with no key filter,
 * the by-status index for each state, so every stored finding (Sigma ones included) is listed.
 * Every match is read with its light fields only (so `total` is exact and memory stays small
 * whatever the limit); then the newest `limit` are fetched whole.
 */
export async function findFindings(
  client: DynamoDBDocumentClient,
  table: string,
  query: FindingsQuery,
): Promise<FindingsPage> {
  const limit = query.limit ?? 100;
  const pages = await Promise.all(
    plansFor(query).map((plan) => readIndex(client, table, plan.index, plan.value, query)),
  );
  const seen = new Set<string>();
  const matches = pages
    .flat()
    .filter((f) => matchesQuery(f, query) && !seen.has(f.id) && seen.add(f.id))
    .sort(newestFirst);
  const findings = await getWhole(
    client,
    table,
    matches.slice(0, limit).map((f) => f.id),
  );
  return { findings, total: matches.length, matches };
}

/** {@link findFindings}' findings only. The detector ids of the first version are no longer needed. */
export async function queryFindings(
  client: DynamoDBDocumentClient,
  table: string,
  query: FindingsQuery,
  _detectorIds?: readonly string[],
): Promise<Finding[]> {
  return (await findFindings(client, table, query)).findings;
}

/** One finding by its full id, or undefined. */
export async function getFinding(
  client: DynamoDBDocumentClient,
  table: string,
  id: string,
): Promise<Finding | undefined> {
  const answer = await client.send(
    new GetCommand({ TableName: table, Key: { [FINDINGS_TABLE.partitionKey]: id }, ConsistentRead: true }),
  );
  return answer.Item as Finding | undefined;
}

/** Findings stored at exactly this event time, in any review state (how a short id is resolved). */
export async function findingsAt(
  client: DynamoDBDocumentClient,
  table: string,
  eventTime: string,
): Promise<LightFinding[]> {
  const query: FindingsQuery = { since: eventTime, until: eventTime };
  const pages = await Promise.all(
    REVIEW_STATUSES.map((status) => readIndex(client, table, FINDINGS_TABLE.indexes.byStatus, status, query)),
  );
  return pages.flat();
}

/** Newest event first; equal times by id, so the order never depends on the index read first. */
export function newestFirst(a: { eventTime: string; id: string }, b: { eventTime: string; id: string }): number {
  return a.eventTime < b.eventTime ? 1 : a.eventTime > b.eventTime ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The principal as the table shows it: the part of an ARN after the account, or the value itself. */
export function shortPrincipal(principal: string): string {
  const parts = principal.split(':');
  return principal.startsWith('arn:') && parts.length >= 6 ? parts.slice(5).join(':') : principal;
}

/**
 * Whether a stored principal is the one a user named: the full ARN, what the table shows
 * (`user/alice`, `assumed-role/Role/session`), the role and session without the prefix
 * (`Role/session`), or an identity type in any case (`root` for `Root`).
 */
export function principalMatches(stored: string, wanted: string): boolean {
  if (stored === wanted || stored.toLowerCase() === wanted.toLowerCase()) return true;
  const short = shortPrincipal(stored);
  if (short === wanted) return true;
  const slash = short.indexOf('/');
  return slash > 0 && short.slice(slash + 1) === wanted && wanted.includes('/');
}

function plansFor(query: FindingsQuery): { index: Index; value: string }[] {
  const { indexes } = FINDINGS_TABLE;
  const accounts = [...new Set([...(query.account ? [query.account] : []), ...(query.accounts ?? [])])];
  if (query.runId) return [{ index: indexes.byRun, value: query.runId }];
  if (query.detector) return [{ index: indexes.byDetector, value: query.detector }];
  // Only a full ARN is surely a key of the principal index; `root` may be an ARN's tail or a type,
  // so a short form is a filter on another index.
  if (query.principal?.startsWith('arn:')) return [{ index: indexes.byPrincipal, value: query.principal }];
  if (accounts.length > 0) return accounts.map((value) => ({ index: indexes.byAccount, value }));
  const statuses = query.status ? [query.status] : REVIEW_STATUSES;
  return statuses.map((value) => ({ index: indexes.byStatus, value }));
}

function matchesQuery(f: LightFinding, query: FindingsQuery): boolean {
  const accounts = [...(query.account ? [query.account] : []), ...(query.accounts ?? [])];
  if (query.detector !== undefined && f.detector !== query.detector) return false;
  if (accounts.length > 0 && !accounts.includes(f.account)) return false;
  if (query.principal !== undefined && !principalMatches(f.principal, query.principal)) return false;
  // Items stored before review states have no status: they are open.
  if (query.status !== undefined && (f.status ?? 'open') !== query.status) return false;
  if (query.severity !== undefined && SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(query.severity)) return false;
  if (query.since !== undefined && f.eventTime < query.since) return false;
  if (query.until !== undefined && f.eventTime > query.until) return false;
  return true;
}

/**
 * Every item of one index partition within the time range, light fields only. It reads to the
 * end: an early stop at the limit (as the first version did) returns the wrong items from an
 * index not sorted by event time, and cannot say how many matched.
 */
async function readIndex(
  client: DynamoDBDocumentClient,
  table: string,
  index: Index,
  value: string,
  query: FindingsQuery,
): Promise<LightFinding[]> {
  const names: Record<string, string> = { '#pk': index.partitionKey };
  const values: Record<string, unknown> = { ':pk': value };
  let keyCondition = '#pk = :pk';
  if (index.sortKey === 'eventTime' && (query.since || query.until)) {
    names['#t'] = 'eventTime';
    values[':since'] = query.since ?? '0000';
    values[':until'] = query.until ?? '9999';
    keyCondition += ' AND #t BETWEEN :since AND :until';
  }
  for (const [i, field] of LIGHT_FIELDS.entries()) names[`#f${i}`] = field;
  const input: QueryCommandInput = {
    TableName: table,
    IndexName: index.name,
    KeyConditionExpression: keyCondition,
    ProjectionExpression: LIGHT_FIELDS.map((_, i) => `#f${i}`).join(', '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
  };
  const found: LightFinding[] = [];
  let start: Record<string, unknown> | undefined;
  try {
    do {
      const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      found.push(...((page.Items ?? []) as LightFinding[]));
      start = page.LastEvaluatedKey;
    } while (start);
  } catch (error) {
    if ((error as Error).name === 'ValidationException' && /index/i.test((error as Error).message)) {
      throw new FindingsIndexError(
        `table ${table} has no index ${index.name}: it was created by an older version of trail-auditor (deploy the stack again, or audit into a new --store)`,
        { cause: error },
      );
    }
    throw error;
  }
  return found;
}

/** The whole items of these ids, in the order given (BatchGet, 100 keys a call, unprocessed keys retried). */
async function getWhole(client: DynamoDBDocumentClient, table: string, ids: string[]): Promise<Finding[]> {
  const byId = new Map<string, Finding>();
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = ids
      .slice(i, i + 100)
      .map((id) => ({ [FINDINGS_TABLE.partitionKey]: id }));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const answer: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }),
      );
      for (const item of answer.Responses?.[table] ?? []) byId.set(String(item.id), item as Finding);
      keys = answer.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

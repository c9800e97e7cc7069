import { createHash } from 'node:crypto';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { principalOf } from './cloudtrail.ts';
import type { DetectorMatch, DetectorMetadata, Severity } from './detector.ts';
import type { ReviewStatus } from './review.ts';

/** A stored finding: the finding contract of DESIGN.md. */
export interface Finding {
  /** `<detector>#<eventID>`: one finding per detector and CloudTrail event, whatever the run. */
  id: string;
  detector: string;
  severity: Severity;
  title: string;
  reason?: string;
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  account: string;
  principal: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  objectKey: string;
  runId: string;
  detectedAt: string;
  /** The record as JSON, cut to fit a DynamoDB item. */
  record: string;
  recordTruncated: boolean;
  /** Epoch seconds after which DynamoDB TTL may delete the finding; absent: kept for ever. */
  expiresAt?: number;
  /** Review state, `open` when written; the key of the by-status index (see core/review.ts). */
  status: ReviewStatus;
  /** The last review: who, when (ISO), and their note. */
  reviewedBy?: string;
  reviewedAt?: string;
  reviewNote?: string;
}

/** Largest record JSON kept in a finding, in UTF-8 bytes; DynamoDB items are limited to 400 KB. */
export const MAX_RECORD_BYTES = 300_000;

/** The item key of a finding. Derived from the detector and the event alone (idempotency). */
export function findingId(detector: string, eventID: string): string {
  return `${detector}#${eventID}`;
}

/**
 * The record's eventID, or, for the rare record without one, a digest of the record itself, so
 * the same record still maps to the same finding on every run.
 */
export function eventIdOf(record: CloudTrailRecord): string {
  if (typeof record.eventID === 'string' && record.eventID) return record.eventID;
  return `sha256-${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32)}`;
}

/** Builds the finding item for a detector's match on a record. */
export function buildFinding(
  meta: DetectorMetadata,
  match: DetectorMatch,
  record: CloudTrailRecord,
  context: { objectKey: string; runId: string; detectedAt: string; ttlDays?: number },
): Finding {
  const eventID = eventIdOf(record);
  let json = JSON.stringify(record);
  // Bytes, not characters: a record full of non-ASCII text would otherwise make an item that
  // DynamoDB refuses, failing the work item on every retry.
  const recordTruncated = Buffer.byteLength(json) > MAX_RECORD_BYTES;
  if (recordTruncated) json = Buffer.from(json).subarray(0, MAX_RECORD_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
  const finding: Finding = {
    id: findingId(meta.id, eventID),
    detector: meta.id,
    severity: match.severity ?? meta.severity,
    title: match.title ?? meta.title,
    eventID,
    eventTime: str(record.eventTime, '1970-01-01T00:00:00Z'),
    eventSource: str(record.eventSource),
    eventName: str(record.eventName),
    awsRegion: str(record.awsRegion),
    account: str(record.recipientAccountId, str(record.userIdentity?.accountId)),
    principal: principalOf(record),
    sourceIPAddress: str(record.sourceIPAddress),
    userAgent: str(record.userAgent),
    objectKey: context.objectKey,
    runId: context.runId,
    detectedAt: context.detectedAt,
    record: json,
    recordTruncated,
    status: 'open',
  };
  if (match.reason) finding.reason = match.reason;
  if (context.ttlDays) finding.expiresAt = Math.floor(Date.parse(context.detectedAt) / 1000) + Math.round(context.ttlDays * 86_400);
  if (typeof record.errorCode === 'string' && record.errorCode) finding.errorCode = record.errorCode;
  return finding;
}

// GSI key attributes must be non-empty strings, so a missing field becomes '-'.
function str(value: unknown, fallback = '-'): string {
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}

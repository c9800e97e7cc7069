import { createHash } from 'node:crypto';
import { boundedJson, cutToBytes } from './bounded.ts';
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
  /** Fields cut to their byte limit (each ends in the cut marker); absent when none was. */
  cutFields?: string[];
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

/**
 * Largest value of a field that is a key of the table or of a GSI (principal, account, eventTime,
 * detector, runId, detectedAt), in UTF-8 bytes. DynamoDB allows 2048 bytes for a partition key and
 * 1024 for a sort key, and refuses the whole put beyond; one limit under both keeps it simple.
 * dynalite does not enforce these limits, so this code must.
 */
export const MAX_KEY_FIELD_BYTES = 1024;

/**
 * Largest value of any other string field. With the record's limit, every item stays under
 * 400 KB: 300,000 + 15 fields x 4 KB + attribute names.
 */
export const MAX_TEXT_FIELD_BYTES = 4096;

/** An eventID longer than this is replaced by its digest in the finding id (real ones are UUIDs). */
export const MAX_EVENT_ID_KEY_BYTES = 512;

/**
 * The item key of a finding. Derived from the detector and the event alone (idempotency); an
 * oversized eventID is replaced by its digest, so the key stays under DynamoDB's limit.
 */
export function findingId(detector: string, eventID: string): string {
  return `${detector}#${Buffer.byteLength(eventID) > MAX_EVENT_ID_KEY_BYTES ? digest(eventID) : eventID}`;
}

/**
 * The record's eventID, or, for the rare record without one, a digest of the record itself, so
 * the same record still maps to the same finding on every run.
 */
export function eventIdOf(record: CloudTrailRecord): string {
  if (typeof record.eventID === 'string' && record.eventID) return record.eventID;
  // Depth-bounded: the same text as JSON.stringify for any real record, and no stack overflow
  // for a hostile one.
  return digest(boundedJson(record).json);
}

function digest(text: string): string {
  return `sha256-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

/** Builds the finding item for a detector's match on a record. */
export function buildFinding(
  meta: DetectorMetadata,
  match: DetectorMatch,
  record: CloudTrailRecord,
  context: { objectKey: string; runId: string; detectedAt: string; ttlDays?: number },
): Finding {
  const eventID = eventIdOf(record);
  // Bytes, not characters: a record full of non-ASCII text would otherwise make an item that
  // DynamoDB refuses, failing the work item on every retry.
  const { json, truncated: recordTruncated } = boundedJson(record, MAX_RECORD_BYTES);
  const cutFields: string[] = [];
  const key = (field: string, value: string) => capped(field, value, MAX_KEY_FIELD_BYTES, cutFields);
  const text = (field: string, value: string) => capped(field, value, MAX_TEXT_FIELD_BYTES, cutFields);
  const finding: Finding = {
    id: findingId(meta.id, eventID),
    detector: key('detector', meta.id),
    severity: match.severity ?? meta.severity,
    title: text('title', match.title ?? meta.title),
    eventID: key('eventID', eventID),
    eventTime: key('eventTime', str(record.eventTime, '1970-01-01T00:00:00Z')),
    eventSource: text('eventSource', str(record.eventSource)),
    eventName: text('eventName', str(record.eventName)),
    awsRegion: text('awsRegion', str(record.awsRegion)),
    account: key('account', str(record.recipientAccountId, str(record.userIdentity?.accountId))),
    principal: key('principal', principalOf(record)),
    sourceIPAddress: text('sourceIPAddress', str(record.sourceIPAddress)),
    userAgent: text('userAgent', str(record.userAgent)),
    objectKey: text('objectKey', context.objectKey),
    runId: key('runId', context.runId),
    detectedAt: key('detectedAt', context.detectedAt),
    record: json,
    recordTruncated,
    status: 'open',
  };
  if (match.reason) finding.reason = text('reason', match.reason);
  if (context.ttlDays)
    finding.expiresAt = Math.floor(Date.parse(context.detectedAt) / 1000) + Math.round(context.ttlDays * 86_400);
  if (typeof record.errorCode === 'string' && record.errorCode) finding.errorCode = text('errorCode', record.errorCode);
  if (cutFields.length > 0) finding.cutFields = cutFields;
  return finding;
}

function capped(field: string, value: string, maxBytes: number, cutFields: string[]): string {
  const { text, cut } = cutToBytes(value, maxBytes);
  if (cut) cutFields.push(field);
  return text;
}

// GSI key attributes must be non-empty strings, so a missing field becomes '-'.
function str(value: unknown, fallback = '-'): string {
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}

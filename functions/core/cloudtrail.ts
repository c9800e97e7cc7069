import { gunzipSync } from 'node:zlib';
import { LogObjectError, messageOf } from './errors.ts';

/** The CloudTrail userIdentity element; every field may be absent on some records. */
export interface UserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: {
    attributes?: { creationDate?: string; mfaAuthenticated?: string };
    sessionIssuer?: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
    ec2RoleDelivery?: string;
    sourceIdentity?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/**
 * One CloudTrail record. Only the fields detectors read are named; all are optional because real
 * trails omit them (service events without an ARN, console sessions without a key, null params).
 */
export interface CloudTrailRecord {
  eventVersion?: string;
  eventID?: string;
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  eventType?: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown> | null;
  userIdentity?: UserIdentity;
  recipientAccountId?: string;
  vpcEndpointId?: string;
  readOnly?: boolean;
  managementEvent?: boolean;
  [field: string]: unknown;
}

/** Result of decoding one log object: the usable records and how many entries were not records. */
export interface DecodedLogObject {
  records: CloudTrailRecord[];
  /** Entries of `Records` that are not JSON objects; counted, never analysed. */
  skippedRecords: number;
  /** Size of the JSON text after gunzip, in bytes. */
  jsonBytes: number;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Decodes a CloudTrail log object (gzip, as CloudTrail writes it, or plain JSON) into records.
 * Throws {@link LogObjectError} naming the key and a reason a person understands.
 */
export function decodeLogObject(key: string, body: Uint8Array): DecodedLogObject {
  if (body.byteLength === 0) throw new LogObjectError(key, 'empty object (0 bytes)');
  let text: string;
  let jsonBytes: number;
  if (body[0] === GZIP_MAGIC_0 && body[1] === GZIP_MAGIC_1) {
    let raw: Buffer;
    try {
      // Synchronous on purpose: a 1-vCPU Lambda has no second core for zlib's thread pool, and
      // the local runner gets its parallelism from worker threads. Files are at most a few MB.
      raw = gunzipSync(body);
    } catch (error) {
      throw new LogObjectError(key, `gzip data is truncated or corrupt (${messageOf(error)})`, { cause: error });
    }
    jsonBytes = raw.byteLength;
    text = raw.toString('utf8');
  } else {
    const first = firstNonSpace(body);
    if (first !== 0x7b /* { */) {
      throw new LogObjectError(key, `not gzip and not JSON (starts with bytes ${hexPrefix(body)})`);
    }
    jsonBytes = body.byteLength;
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }
  return parseLogJson(key, text, jsonBytes);
}

/** Parses the JSON text of a log object; see {@link decodeLogObject}. */
export function parseLogJson(key: string, text: string, jsonBytes = Buffer.byteLength(text)): DecodedLogObject {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LogObjectError(key, `invalid JSON (${messageOf(error)})`, { cause: error });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new LogObjectError(key, 'JSON is not an object with a "Records" array');
  }
  const entries = (doc as { Records?: unknown }).Records;
  if (!Array.isArray(entries)) {
    const keys = Object.keys(doc).slice(0, 5).join(', ') || 'none';
    throw new LogObjectError(key, `JSON has no "Records" array (top-level keys: ${keys})`);
  }
  // Real files hold only objects: keep the parsed array then, and copy only when it must be cleaned.
  const isRecord = (entry: unknown) => entry !== null && typeof entry === 'object' && !Array.isArray(entry);
  if (entries.every(isRecord)) return { records: entries as CloudTrailRecord[], skippedRecords: 0, jsonBytes };
  const records = entries.filter(isRecord) as CloudTrailRecord[];
  return { records, skippedRecords: entries.length - records.length, jsonBytes };
}

/** The service part of an eventSource: `cloudtrail` for `cloudtrail.amazonaws.com`. */
export function serviceOf(record: CloudTrailRecord): string {
  const source = record.eventSource ?? '';
  const dot = source.indexOf('.');
  return dot === -1 ? source : source.slice(0, dot);
}

/** The workshop's one-line rendering: `[eventTime] region<TAB>sourceIP<TAB>service:eventName`. */
export function shortRecord(record: CloudTrailRecord): string {
  return `[${record.eventTime ?? '?'}] ${record.awsRegion ?? '?'}\t${record.sourceIPAddress ?? '?'}\t${serviceOf(record)}:${record.eventName ?? '?'}`;
}

/** Who made the call: the identity ARN, else the type (Root, AWSService...), else `unknown`. */
export function principalOf(record: CloudTrailRecord): string {
  const identity = record.userIdentity;
  if (identity && typeof identity === 'object') {
    if (typeof identity.arn === 'string' && identity.arn) return identity.arn;
    if (typeof identity.invokedBy === 'string' && identity.invokedBy) return identity.invokedBy;
    if (typeof identity.type === 'string' && identity.type) return identity.type;
  }
  return 'unknown';
}

/** Whether the call failed (CloudTrail sets errorCode on failed calls). */
export function isFailedCall(record: CloudTrailRecord): boolean {
  return typeof record.errorCode === 'string' && record.errorCode.length > 0;
}

function firstNonSpace(body: Uint8Array): number | undefined {
  for (let i = 0; i < body.byteLength && i < 64; i++) {
    const byte = body[i]!;
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09 && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) return byte;
  }
  return undefined;
}

function hexPrefix(body: Uint8Array): string {
  return Array.from(body.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

import { createHash } from 'node:crypto';
import type { CloudTrailRecord } from './cloudtrail.ts';

/**
 * Size- and depth-bounded text helpers for log content, which is attacker-controlled: whatever a
 * record holds, what we store or hash is limited in bytes and never recurses without a bound.
 */

/** Appended to a string field that was cut to fit its limit. */
export const CUT_MARKER = '…[cut]';

/** Stands in for a value nested deeper than the serialiser's limit. */
export const DEPTH_MARKER = '[cut: nested too deep]';

/** Deepest nesting serialised; real CloudTrail records nest about a dozen levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, marker included, never splitting a character;
 * `cut` says whether it was cut. Only the first `maxBytes` characters are ever encoded, so a
 * huge string costs no more than a small one.
 */
export function cutToBytes(text: string, maxBytes: number, marker = CUT_MARKER): { text: string; cut: boolean } {
  // Every character is at least one byte: a string of at most maxBytes / 3 characters fits as is
  // (three bytes per UTF-16 unit at most), and the byte count is needed only above that.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, cut: false };
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // A cut surrogate pair or multi-byte character decodes to U+FFFD at the end: drop it.
  const head = Buffer.from(text.slice(0, room))
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return { text: head + marker, cut: true };
}

/**
 * JSON text of `value` as `JSON.stringify` writes it, but bounded: values nested deeper than
 * `maxDepth` become {@link DEPTH_MARKER}, and output stops once past `maxBytes` UTF-8 bytes (then
 * cut there, so it may not parse). `truncated` says whether either happened. Recursion is
 * bounded by `maxDepth`, so a record nested 100,000 deep cannot overflow the stack.
 */
export function boundedJson(
  value: unknown,
  maxBytes = Number.POSITIVE_INFINITY,
  maxDepth = MAX_JSON_DEPTH,
): { json: string; truncated: boolean } {
  const parts: string[] = [];
  let length = 0;
  let truncated = false;
  // Characters are a lower bound on bytes: once past maxBytes characters, the output is over.
  const full = () => length > maxBytes;
  const push = (text: string) => {
    parts.push(text);
    length += text.length;
  };
  const emit = (node: unknown, depth: number): void => {
    if (full()) return;
    if (node === null || typeof node === 'boolean') return push(String(node));
    if (typeof node === 'number') return push(Number.isFinite(node) ? String(node) : 'null');
    if (typeof node === 'string') {
      const room = maxBytes - length + 2;
      if (node.length > room) truncated = true;
      return push(JSON.stringify(node.length > room ? node.slice(0, room) : node));
    }
    if (typeof node !== 'object') return push('null');
    if (depth >= maxDepth) {
      truncated = true;
      return push(JSON.stringify(DEPTH_MARKER));
    }
    if (Array.isArray(node)) {
      push('[');
      for (let i = 0; i < node.length && !full(); i++) {
        if (i > 0) push(',');
        const item: unknown = node[i];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') push('null');
        else emit(item, depth + 1);
      }
      return push(']');
    }
    push('{');
    let first = true;
    for (const key of Object.keys(node)) {
      if (full()) break;
      const item: unknown = (node as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      emit(item, depth + 1);
    }
    push('}');
  };
  emit(value, 0);
  let json = parts.join('');
  if (Number.isFinite(maxBytes) && (full() || Buffer.byteLength(json) > maxBytes)) {
    truncated = true;
    json = cutToBytes(json, maxBytes, '').text;
  }
  return { json, truncated };
}

const LONE_SURROGATE = /[\ud800-\udfff]/u;
const UNSAFE_IN_JSON = /[\u0000-\u001f\u007f"\\\ud800-\udfff]/u;
const UNSAFE_IN_JSON_ALL = /[\u0000-\u001f\u007f"\\\ud800-\udfff]/gu;

/**
 * `text` as it may be kept in an aggregate: at most `maxBytes` UTF-8 bytes as JSON (quotes
 * excluded). Text that is printable, with no quote or backslash, and short enough is kept as is;
 * other text keeps a cleaned prefix and `~` and 12 hex digits of its SHA-256, so two different
 * texts stay different (a count of distinct items stays right) whatever their length.
 */
export function compactText(text: string, maxBytes: number): string {
  // Control characters grow sixfold as JSON escapes, quotes, backslashes and lone surrogates
  // (escaped as \udXXX: six bytes against three counted as UTF-8) twofold. With the u flag a
  // surrogate pair is one code point, so only lone halves match the surrogate range.
  if (text.length <= maxBytes && !UNSAFE_IN_JSON.test(text) && Buffer.byteLength(text) <= maxBytes) return text;
  const clean = text.slice(0, maxBytes).replace(UNSAFE_IN_JSON_ALL, '?');
  // Hashing a string encodes it as UTF-8, where every lone surrogate becomes U+FFFD: such text is
  // hashed by its UTF-16 code units instead, so two different texts keep different digests.
  const bytes = LONE_SURROGATE.test(text) ? Buffer.from(text, 'utf16le') : text;
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return `${cutToBytes(clean, Math.max(0, maxBytes - 13), '').text}~${digest}`;
}

/** The fields of a record a copy keeps (strings cut, booleans as they are), in this order. */
export const RECORD_COPY_FIELDS = [
  'eventVersion',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestID',
  'eventID',
  'eventType',
  'readOnly',
  'managementEvent',
  'eventCategory',
  'recipientAccountId',
  'vpcEndpointId',
  'vpcEndpointAccountId',
] as const;

const IDENTITY_FIELDS = ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy'] as const;
const ISSUER_FIELDS = ['type', 'principalId', 'arn', 'accountId', 'userName'] as const;

/** How much of a record {@link recordCopy} keeps. */
export interface RecordCopyLimits {
  /** Bytes kept of each string field (cut with {@link CUT_MARKER}). */
  fieldBytes: number;
  /** Only the identity: `eventVersion`, `userIdentity` and `recipientAccountId`. */
  identityOnly?: boolean;
  /** `userIdentity` whole while its JSON fits in this many bytes; otherwise (or when absent) its known fields. */
  identityBytes?: number;
  /** `requestParameters` whole while its JSON fits in this many bytes, else `{ truncated: true }`; absent: dropped. */
  requestParametersBytes?: number;
  /** The record itself (not a copy) while its JSON fits in this many bytes. */
  wholeUpToBytes?: number;
}

/**
 * A copy of a record small enough to keep in an aggregate or show in a finding: the fields
 * {@link RECORD_COPY_FIELDS} with strings cut to `fieldBytes`, and the identity (whole when small,
 * else its known fields, session issuer and session attributes). Bounded whatever the record:
 * nested values are measured with {@link boundedJson}, never serialised whole.
 */
export function recordCopy(record: CloudTrailRecord, limits: RecordCopyLimits): CloudTrailRecord {
  if (limits.wholeUpToBytes !== undefined && !boundedJson(record, limits.wholeUpToBytes).truncated) return record;
  const fields = limits.identityOnly ? (['eventVersion', 'recipientAccountId'] as const) : RECORD_COPY_FIELDS;
  const copy: Record<string, unknown> = {};
  const text = (value: string) => cutToBytes(value, limits.fieldBytes).text;
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string') copy[field] = text(value);
    else if (typeof value === 'boolean') copy[field] = value;
  }
  const identity = record.userIdentity;
  if (identity && typeof identity === 'object' && !Array.isArray(identity)) {
    const whole = limits.identityBytes === undefined ? undefined : boundedJson(identity, limits.identityBytes);
    copy.userIdentity = whole && !whole.truncated ? JSON.parse(whole.json) : identitySubset(identity, text);
  }
  if (limits.requestParametersBytes !== undefined && !limits.identityOnly) {
    const params = record.requestParameters;
    if (params && typeof params === 'object') {
      const json = boundedJson(params, limits.requestParametersBytes);
      copy.requestParameters = json.truncated ? { truncated: true } : JSON.parse(json.json);
    }
  }
  return copy as CloudTrailRecord;
}

function pick(node: unknown, fields: readonly string[], text: (value: string) => string): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (!node || typeof node !== 'object') return kept;
  for (const field of fields) {
    const value = (node as Record<string, unknown>)[field];
    if (typeof value === 'string') kept[field] = text(value);
  }
  return kept;
}

/** The identity fields a finding needs to say who called, each cut. */
function identitySubset(identity: object, text: (value: string) => string): Record<string, unknown> {
  const kept = pick(identity, IDENTITY_FIELDS, text);
  const context = (identity as Record<string, unknown>).sessionContext;
  if (context && typeof context === 'object') {
    const session: Record<string, unknown> = {};
    const issuer = pick((context as Record<string, unknown>).sessionIssuer, ISSUER_FIELDS, text);
    if (Object.keys(issuer).length > 0) session.sessionIssuer = issuer;
    const attributes = pick(
      (context as Record<string, unknown>).attributes,
      ['creationDate', 'mfaAuthenticated'],
      text,
    );
    if (Object.keys(attributes).length > 0) session.attributes = attributes;
    Object.assign(session, pick(context, ['ec2RoleDelivery', 'sourceIdentity'], text));
    kept.sessionContext = session;
  }
  return kept;
}

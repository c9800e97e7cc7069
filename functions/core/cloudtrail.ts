import { isAscii } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { LogObjectError, ObjectTooLargeError, messageOf } from './errors.ts';
import { parseWhole, recordSlices, sliceBounds, type RecordSlice } from './log-slices.ts';

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

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const MB = 1024 * 1024;

/** Limits of decoding one log object; see {@link DECODE_LIMITS}. */
export interface DecodeLimits {
  /** Largest JSON text, after gunzip, in bytes (and largest stored object). */
  maxJsonBytes: number;
  /** Largest memory parsing it may take, as {@link parseCostOf} estimates it. */
  maxParseBytes: number;
  /** Most entries in `Records`: bounds the time detectors spend on one object. */
  maxRecords: number;
}

/**
 * Limits no real CloudTrail file reaches. CloudTrail writes a file per account and region about
 * every 5 minutes and starts another when one grows large; no event exceeds 256 KB. Real files
 * hold a few MB of JSON at most, so 32 MB (some 20,000 events of 1.6 KB) is an order of magnitude
 * above them; a file past it is refused by key, never silently, so a limit too low would show.
 * 256 MB of parse memory admits a real 32 MB file (estimated at about 7 times its size) and
 * refuses JSON made of tiny values (`[{},{},...]` is estimated at 35 times its size, and takes
 * about that). No real record is under 300 bytes, so 200,000 records is above any real 32 MB file
 * and keeps one of millions of `{}` from taking minutes of detector time. Measured: one Analyze
 * over objects at all these limits at once peaks at about 0.8 GB of RSS. See docs/bad-input.md.
 */
export const DECODE_LIMITS: DecodeLimits = { maxJsonBytes: 32 * MB, maxParseBytes: 256 * MB, maxRecords: 200_000 };

/** Bytes as whole MB (MiB), or KB below 1 MB, for reasons a person reads. */
export function mb(bytes: number): string {
  return bytes < MB ? `${Math.ceil(bytes / 1024)} KB` : `${Math.round(bytes / MB)} MB`;
}

/** A log object whose checks passed, its records to be parsed a slice at a time. */
export interface LogSlices {
  /** Size of the JSON text after gunzip, in bytes. */
  jsonBytes: number;
  /**
   * The records, in file order, one slice at a time (see functions/core/log-slices.ts): iterate
   * once. May throw a {@link LogObjectError} after some slices were given: invalid JSON, more than
   * `maxRecords` entries of a shape CloudTrail does not write, or a rest parsed as one that would
   * pass the parse-memory limit.
   */
  slices: Iterable<RecordSlice>;
}

/**
 * Decodes a CloudTrail log object (gzip, as CloudTrail writes it, or plain JSON) into its records,
 * given a slice at a time, so a large object's parsed tree is never alive whole. Throws
 * {@link LogObjectError} naming the key and a reason a person understands, and
 * {@link ObjectTooLargeError} for an object over one of the `limits`; memory stays within them.
 * The size limits are checked before the first slice; what only parsing can tell (see
 * {@link LogSlices}) is refused while the slices are given.
 */
export function decodeLogSlices(key: string, body: Uint8Array, limits: DecodeLimits = DECODE_LIMITS): LogSlices {
  if (body.byteLength === 0) throw new LogObjectError(key, 'empty object (0 bytes)');
  let raw: Buffer | undefined;
  if (body[0] === GZIP_MAGIC_0 && body[1] === GZIP_MAGIC_1) {
    try {
      // Synchronous on purpose: a 1-vCPU Lambda has no second core for zlib's thread pool, and
      // the local runner gets its parallelism from worker threads. Bounded: a gzip bomb stops
      // at the limit instead of taking gigabytes. One output chunk of the size the gzip trailer
      // states: no joining of 16 KB chunks (a copy, and twice the text's memory at once).
      raw = gunzipSync(body, { maxOutputLength: limits.maxJsonBytes, chunkSize: outputChunkSize(body, limits) });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ObjectTooLargeError(key, `inflates past ${mb(limits.maxJsonBytes)} (the limit for one log object)`, {
          cause: error,
        });
      }
      throw new LogObjectError(key, `gzip data is truncated or corrupt (${messageOf(error)})`, { cause: error });
    }
  } else {
    const first = firstNonSpace(body);
    if (first !== 0x7b /* { */) {
      throw new LogObjectError(key, `not gzip and not JSON (starts with bytes ${hexPrefix(body)})`);
    }
    if (body.byteLength > limits.maxJsonBytes) {
      throw new ObjectTooLargeError(
        key,
        `is ${mb(body.byteLength)} of JSON, over the ${mb(limits.maxJsonBytes)} limit for one log object`,
      );
    }
    raw = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  const jsonBytes = raw.byteLength;
  const bounds = sliceBounds(raw, limits.maxRecords);
  // Parsed in slices, the text costs its bytes plus one slice's parse at a time: when even the
  // worst slice stays within the limit, the whole text need not be scanned (only a rest parsed
  // as one, after a cut inside a record, is). Otherwise the whole text's estimate decides now.
  const sliced = bounds !== undefined && jsonBytes + SLICE_COST_PER_BYTE * bounds.longest <= limits.maxParseBytes;
  if (!sliced) checkParseCost(key, raw, limits.maxParseBytes);
  if (bounds) {
    const json = raw;
    const checkRest = sliced
      ? (from: number, to: number) => checkParseCost(key, json.subarray(from, to), limits.maxParseBytes - jsonBytes)
      : undefined;
    return { jsonBytes, slices: recordSlices(key, raw, bounds, limits.maxRecords, checkRest) };
  }
  // Any other shape is parsed whole. CloudTrail's JSON is nearly always ASCII, which reads the
  // same as Latin-1: a plain copy instead of UTF-8 decoding (the ASCII check is native and fast).
  const text = isAscii(raw) ? raw.toString('latin1') : raw.toString('utf8');
  // Not kept while the text is parsed: the bytes, the text and the tree are never all alive at once.
  raw = undefined;
  return { jsonBytes, slices: [parseWhole(key, text, limits.maxRecords)] };
}

/** Refuses `json` when {@link parseCostOf} estimates its parse over `limit`. */
function checkParseCost(key: string, json: Uint8Array, limit: number): void {
  const cost = parseCostOf(json, limit);
  if (cost > limit) {
    throw new ObjectTooLargeError(
      key,
      `would take about ${mb(cost)} to parse (limit ${mb(limit)}): too many tiny JSON values`,
    );
  }
}

/** zlib's default output chunk, and the smallest this code asks for. */
const DEFAULT_CHUNK = 16 * 1024;

/**
 * The output chunk for gunzipping `body`: the inflated size its gzip trailer states (ISIZE, the
 * last 4 bytes, little-endian) plus one byte, so zlib fills one chunk and returns it without
 * joining. The trailer is the writer's word: a wrong one costs only the joining again, and the
 * chunk never exceeds the output limit.
 */
function outputChunkSize(body: Uint8Array, limits: DecodeLimits): number {
  const n = body.byteLength;
  if (n < 18) return DEFAULT_CHUNK;
  const stated = (body[n - 4]! | (body[n - 3]! << 8) | (body[n - 2]! << 16) | (body[n - 1]! << 24)) >>> 0;
  return Math.max(DEFAULT_CHUNK, Math.min(stated + 1, limits.maxJsonBytes + 1));
}

/** Estimated heap bytes per JSON container or value (measured: 20-32 retained, up to 2x at peak). */
const BYTES_PER_TOKEN = 48;

/** The most one byte of a slice can cost to parse: its text (the slice and `[...]`) and a token. */
const SLICE_COST_PER_BYTE = 2 + BYTES_PER_TOKEN;

/** Bytes scanned between checks of whether the rest can still push the estimate past the threshold. */
const SCAN_BLOCK = 64 * 1024;

/**
 * An upper estimate of the memory `JSON.parse` takes for this JSON text: the text itself, as a
 * buffer and a string (3 bytes a byte), plus a fixed cost per `{`, `[`, `,` and `:` byte, which
 * bounds the number of objects, arrays and values it makes. Reads only as much of the text as it
 * must to tell: nothing when even the worst case (every byte such a token) stays within
 * `threshold`, and only until the tokens counted plus the worst case of the bytes left do; then it
 * returns that bound (at most `threshold`). A text over the threshold is read to the end.
 */
export function parseCostOf(json: Uint8Array, threshold = 0): number {
  const n = json.byteLength;
  const base = 3 * n;
  if (base + BYTES_PER_TOKEN * n <= threshold) return base;
  let tokens = 0;
  // A plain Uint8Array view (not a Buffer) and a table lookup keep this loop monomorphic.
  const bytes = new Uint8Array(json.buffer, json.byteOffset, n);
  for (let start = 0; start < n; start += SCAN_BLOCK) {
    const end = Math.min(n, start + SCAN_BLOCK);
    for (let i = start; i < end; i++) tokens += TOKEN_BYTE[bytes[i]!]!;
    const bound = base + BYTES_PER_TOKEN * (tokens + n - end);
    if (bound <= threshold) return bound;
  }
  return base + BYTES_PER_TOKEN * tokens;
}

const TOKEN_BYTE = new Uint8Array(256);
for (const byte of [0x7b, 0x5b, 0x2c, 0x3a]) TOKEN_BYTE[byte] = 1;

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
    if (
      byte !== 0x20 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x09 &&
      byte !== 0xef &&
      byte !== 0xbb &&
      byte !== 0xbf
    )
      return byte;
  }
  return undefined;
}

function hexPrefix(body: Uint8Array): string {
  return Array.from(body.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

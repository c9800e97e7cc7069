import { isAscii } from 'node:buffer';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { LogObjectError, ObjectTooLargeError, messageOf } from './errors.ts';

/*
 * The records of a CloudTrail log object's JSON, parsed a slice of about SLICE_BYTES at a time
 * instead of in one `JSON.parse` of the whole text.
 *
 * Why: a whole file's parsed tree is alive at once, so V8 copies it out of the young generation
 * and grows that generation towards its limit; slices of a few tens of KB are analysed and dead
 * before the next collection. Measured over the bench corpus (653 MB of JSON, one core): the
 * Latin-1 copy and `JSON.parse` of each slice took 0.55-0.6x the CPU of the same for whole files,
 * and the whole text and tree are never alive together (see docs/performance.md). Slices of 128
 * KB and more were as slow as whole files or slower.
 *
 * How, and why it is exact: CloudTrail writes `{"Records":[{"eventVersion":...},{"eventVersion":
 * ...}]}`. A slice ends before a `},{"eventVersion":` (found with the native `indexOf`), and is
 * parsed as `[` + its text + `]`. That byte sequence cannot lie inside a JSON string (its `"` is
 * not escaped), but it can lie inside a record (an array of objects in requestParameters whose
 * key is eventVersion): then the slice is not valid JSON, as the record it cuts has an unclosed
 * brace. When every slice parses, the text is `{"Records":[` + slices joined by `,` + `]}`, so
 * the records are exactly those of the whole text, in order. A slice that does not parse is read
 * again with the whole rest of the array as one slice; if that fails too, the object is invalid.
 * Text of any other shape is parsed whole, as before.
 */

/** Text parsed at once: a slice ends at the first record boundary after this many bytes. */
export const SLICE_BYTES = 32 * 1024;

const PREFIX = Buffer.from('{"Records":[');
const SEPARATOR = Buffer.from('},{"eventVersion":');

/** Some of an object's records, in file order. */
export interface RecordSlice {
  records: CloudTrailRecord[];
  /** Entries of this slice that are not JSON objects; counted, never analysed. */
  skippedRecords: number;
  /** Position of the slice's first entry among the object's `Records`. */
  first: number;
}

/** Where the records of a text of CloudTrail's shape lie, and where each slice ends. */
export interface SliceBounds {
  start: number;
  ends: number[];
  contentEnd: number;
  /** The longest slice, in bytes: what one `JSON.parse` of a slice may cost is bounded by it. */
  longest: number;
}

/**
 * Where the slices of `json` end, or undefined when the text does not have CloudTrail's shape or
 * may hold more than `maxRecords` entries (then it is parsed whole, which tells exactly).
 */
export function sliceBounds(json: Buffer, maxRecords: number): SliceBounds | undefined {
  if (json.byteLength < PREFIX.byteLength + 2 || json.compare(PREFIX, 0, PREFIX.byteLength, 0, PREFIX.byteLength) !== 0)
    return undefined;
  let end = json.byteLength;
  while (end > 0 && isSpace(json[end - 1]!)) end--;
  if (json[end - 1] !== 0x7d /* } */ || json[end - 2] !== 0x5d /* ] */) return undefined;
  const start = PREFIX.byteLength;
  const contentEnd = end - 2;
  const ends: number[] = [];
  let records = 1;
  let next = start + SLICE_BYTES;
  for (let at = json.indexOf(SEPARATOR, start); at !== -1 && at < contentEnd; at = json.indexOf(SEPARATOR, at + 1)) {
    if (++records > maxRecords) return undefined;
    if (at >= next) {
      ends.push(at + 1);
      next = at + 1 + SLICE_BYTES;
    }
  }
  ends.push(contentEnd);
  let longest = 0;
  for (let i = 0, from = start; i < ends.length; from = ends[i]! + 1, i++) longest = Math.max(longest, ends[i]! - from);
  return { start, ends, contentEnd, longest };
}

/**
 * The records of a log object's JSON text of CloudTrail's shape (see {@link sliceBounds}), a
 * slice at a time. Throws a {@link LogObjectError} naming the byte where the invalid JSON begins,
 * or an {@link ObjectTooLargeError} when the entries exceed `maxRecords` or `checkRest` refuses
 * to parse the rest as one; the slices given before were valid records.
 */
export function* recordSlices(
  key: string,
  json: Buffer,
  bounds: SliceBounds,
  maxRecords: number,
  checkRest: (from: number, to: number) => void = () => undefined,
): Generator<RecordSlice> {
  const ascii = isAscii(json);
  let from = bounds.start;
  let first = 0;
  for (const end of bounds.ends) {
    if (from > end) break;
    let entries = parseSlice(json, ascii, from, end);
    let to = end;
    if (entries === undefined) {
      // A boundary inside a record, or invalid JSON: the rest of the array as one slice, its
      // parse within the object's memory limit (checkRest throws an ObjectTooLargeError if not).
      to = bounds.contentEnd;
      checkRest(from, to);
      try {
        entries = JSON.parse(`[${decode(json, ascii, from, to)}]`) as unknown[];
      } catch (error) {
        throw new LogObjectError(key, `invalid JSON in the records from byte ${from} on (${messageOf(error)})`, {
          cause: error,
        });
      }
    }
    // The separators counted bound the records of CloudTrail's own shape; entries of another
    // shape (`{}` after `{}`) are counted here, before a detector sees them.
    if (first + entries.length > maxRecords)
      throw tooManyRecords(key, `at least ${first + entries.length}`, maxRecords);
    const records = entries.filter(isRecord) as CloudTrailRecord[];
    yield { records, skippedRecords: entries.length - records.length, first };
    first += entries.length;
    if (to === bounds.contentEnd) return;
    from = to + 1; // past the comma
  }
}

function parseSlice(json: Buffer, ascii: boolean, from: number, to: number): unknown[] | undefined {
  try {
    return JSON.parse(`[${decode(json, ascii, from, to)}]`) as unknown[];
  } catch {
    return undefined;
  }
}

// ASCII (nearly every CloudTrail file) reads the same as Latin-1: a plain copy. The slices end at
// ASCII bytes, so UTF-8 text is never cut inside a character.
function decode(json: Buffer, ascii: boolean, from: number, to: number): string {
  return json.toString(ascii ? 'latin1' : 'utf8', from, to);
}

/**
 * Parses the JSON text of a log object of any shape at once: the one slice of its records. Throws
 * a {@link LogObjectError} for JSON that is not `{"Records": [...]}`, an {@link ObjectTooLargeError}
 * for more than `maxRecords` entries.
 */
export function parseWhole(key: string, text: string, maxRecords: number): RecordSlice {
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
  if (entries.length > maxRecords) throw tooManyRecords(key, String(entries.length), maxRecords);
  // Real files hold only objects: keep the parsed array then, and copy only when it must be cleaned.
  if (entries.every(isRecord)) return { records: entries as CloudTrailRecord[], skippedRecords: 0, first: 0 };
  const records = entries.filter(isRecord) as CloudTrailRecord[];
  return { records, skippedRecords: entries.length - records.length, first: 0 };
}

function tooManyRecords(key: string, count: string, maxRecords: number): ObjectTooLargeError {
  return new ObjectTooLargeError(key, `holds ${count} records, over the ${maxRecords} limit for one log object`);
}

/** Whether a `Records` entry is a record (a JSON object); anything else is skipped. */
export function isRecord(entry: unknown): boolean {
  return entry !== null && typeof entry === 'object' && !Array.isArray(entry);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

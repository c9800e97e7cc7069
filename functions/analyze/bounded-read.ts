import { DECODE_LIMITS, decodeLogSlices, mb, type DecodeLimits, type LogSlices } from '../core/cloudtrail.ts';
import { ObjectTooLargeError } from '../core/errors.ts';
import type { ObjectReader } from '../core/ports.ts';

const MB = 1024 * 1024;

/**
 * Limits of an ordinary object, read `readConcurrency` at a time. Nearly every real CloudTrail
 * file holds well under 8 MB of JSON; a real one of 8 MB is estimated at about 58 MB to parse.
 */
export const SMALL_LIMITS: DecodeLimits = { ...DECODE_LIMITS, maxJsonBytes: 8 * MB, maxParseBytes: 64 * MB };

/**
 * Memory of one Analyze invocation stays bounded whatever the objects hold: ordinary objects are
 * decoded under {@link SMALL_LIMITS}, `readConcurrency` at a time; an object over them is dropped
 * and read again under {@link DECODE_LIMITS}, one such object at a time. With the default
 * `readConcurrency` of 4, live memory is at most 3 x 72 MB + (32 + 256) MB, about 500 MB; measured
 * at every limit at once, the process peaks at about 0.8 GB of RSS (V8 frees lazily): under the
 * Analyze Lambda's 1,024 MB minimum (its default is 1,769 MB). Raise `readConcurrency` with care:
 * each more read slot may hold 72 MB.
 */
export class LargeObjectGate {
  private tail: Promise<void> = Promise.resolve();

  /** Waits for every earlier large object to finish; the returned function lets the next one in. */
  async enter(): Promise<() => void> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}

/** A decoded object, and the release of its large-object slot (call it once analysed). */
export interface BoundedRead {
  decoded: LogSlices;
  release: () => void;
}

/**
 * Reads and decodes one object within the memory bounds of {@link LargeObjectGate}. Errors are
 * those of the reader and of {@link decodeLogSlices}; an object over {@link DECODE_LIMITS} is
 * refused with an ObjectTooLargeError naming the limit.
 */
export async function readBounded(reader: ObjectReader, key: string, gate: LargeObjectGate): Promise<BoundedRead> {
  try {
    return {
      decoded: decodeLogSlices(key, await readWithin(reader, key, SMALL_LIMITS.maxJsonBytes), SMALL_LIMITS),
      release: () => undefined,
    };
  } catch (error) {
    if (!(error instanceof ObjectTooLargeError)) throw error;
  }
  const release = await gate.enter();
  try {
    return {
      decoded: decodeLogSlices(key, await readWithin(reader, key, DECODE_LIMITS.maxJsonBytes), DECODE_LIMITS),
      release,
    };
  } catch (error) {
    release();
    throw error;
  }
}

// A reader that ignores maxBytes (an in-memory test double) is held to it here.
async function readWithin(reader: ObjectReader, key: string, maxBytes: number): Promise<Uint8Array> {
  let body: Uint8Array;
  try {
    body = await reader.read(key, { maxBytes });
  } catch (error) {
    // Node refuses to read a file over 2 GiB into one buffer: that is a size, not a fault.
    if ((error as { code?: string }).code === 'ERR_FS_FILE_TOO_LARGE') {
      throw new ObjectTooLargeError(key, `is over 2 GB, over the ${mb(maxBytes)} limit for one log object`, {
        cause: error,
      });
    }
    throw error;
  }
  if (body.byteLength > maxBytes)
    throw new ObjectTooLargeError(key, `is ${mb(body.byteLength)}, over the ${mb(maxBytes)} limit for one log object`);
  return body;
}

const PERMANENT_READ_ERRORS = new Set([
  'NoSuchKey',
  'NotFound',
  'AccessDenied',
  'InvalidObjectState',
  'ENOENT',
  'EACCES',
  'EISDIR',
]);

/**
 * Whether a read error is one no retry can fix: the object is gone (deleted or expired after the
 * listing), access is denied (a bucket or KMS key policy), or it is archived.
 */
export function isPermanentReadError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (PERMANENT_READ_ERRORS.has(e?.name ?? '') || PERMANENT_READ_ERRORS.has(e?.code ?? '')) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status === 403 || status === 404;
}

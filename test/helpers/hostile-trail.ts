import { createWriteStream } from 'node:fs';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { aRecord } from './records.ts';

/** The day folder every object of the hostile trail sits in. */
export const HOSTILE_DAY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/';
/** A backfill that takes the whole hostile trail. */
export const HOSTILE_RANGE = { mode: 'backfill', from: '2017-11-28T00:00:00Z', to: '2017-11-29T00:00:00Z' } as const;

const MB = 1024 * 1024;
const keyOf = (minute: number, name: string) =>
  `${HOSTILE_DAY}123456789012_CloudTrail_us-east-1_20171128T19${String(minute).padStart(2, '0')}Z_${name}.json.gz`;
const stop = (overrides: Partial<CloudTrailRecord> = {}) =>
  aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', ...overrides });
const doc = (records: unknown[]) => JSON.stringify({ Records: records });

/** What the hostile trail holds, by key, and what the audit must make of each object. */
export interface HostileTrail {
  /** Ordinary objects: must be analysed, each with one finding. */
  ordinary: string[];
  /** Hostile objects that must still be analysed, each with its findings (by event, counted once). */
  analysed: Record<string, number>;
  /** Hostile objects that must be refused by key, with a reason matching the pattern. */
  refused: Record<string, RegExp>;
  /** Entries that are not read at all (symbolic links). */
  links: string[];
  /** Entries of Records that are not objects. */
  nonObjectRecords: number;
}

async function gzipStream(path: string, chunks: () => Generator<Buffer>): Promise<void> {
  await pipeline(Readable.from(chunks()), createGzip({ level: 1 }), createWriteStream(path));
}

/**
 * Writes a small realistic trail plus every hostile object of issue 8 into `dir`: 1 MB fields, a
 * 3 KB eventID, a record nested 100,000 deep, 600 MB of JSON after gunzip, a 256 MB gzip bomb, JSON
 * of tiny values, a sparse plain file over 2 GiB, non-object records, a repeated eventID and a
 * symbolic link out of the trail, and a user agent made to make a backtracking regex hang. Big inputs are streamed or sparse: a few MB on disk.
 */
export async function writeHostileTrail(dir: string, outside: string): Promise<HostileTrail> {
  const day = join(dir, ...HOSTILE_DAY.split('/'));
  await mkdir(day, { recursive: true });
  const path = (key: string) => join(dir, ...key.split('/'));
  const put = (key: string, body: string | Uint8Array) =>
    writeFile(path(key), typeof body === 'string' ? gzipSync(body) : body);
  const mb1 = 'a'.repeat(MB);

  const ordinary = [keyOf(0, 'ordinary1'), keyOf(5, 'ordinary2'), keyOf(10, 'ordinary3')];
  for (const key of ordinary)
    await put(key, doc([aRecord(), stop(), aRecord({ eventName: 'ListBuckets', eventSource: 's3.amazonaws.com' })]));

  const analysed: Record<string, number> = {};
  const hostile = async (key: string, records: unknown[], findings: number) => {
    await put(key, doc(records));
    analysed[key] = findings;
  };
  await hostile(keyOf(11, 'userAgent1MB'), [stop({ userAgent: mb1 })], 1);
  // The user agent an attacker picks against a catastrophic Sigma regex (`^(a+)+$`).
  await hostile(keyOf(31, 'backtrackingAgent'), [stop({ userAgent: `${'a'.repeat(34)}!` })], 1);
  await hostile(keyOf(12, 'eventID1MB'), [stop({ eventID: mb1 }), stop({ eventID: 'e'.repeat(3000) })], 2);
  await hostile(keyOf(13, 'eventTime1MB'), [stop({ eventTime: mb1 })], 1);
  await hostile(
    keyOf(14, 'arn1MB'),
    [
      stop({
        userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::123456789012:user/${mb1}`, accountId: '123456789012' },
      }),
    ],
    1,
  );
  const repeated = stop();
  await hostile(keyOf(15, 'repeatedEventID'), [repeated, repeated, stop()], 2);
  await hostile(keyOf(16, 'notObjects'), [1, 'x', null, [stop()], stop()], 1);
  // 100,000 levels: built as text, since JSON.stringify itself would overflow the stack.
  const deepKey = keyOf(17, 'deep100k');
  const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  await put(deepKey, `{"Records":[${JSON.stringify(stop()).slice(0, -1)},"requestParameters":${deep}}]}`);
  analysed[deepKey] = 1;

  const refused: Record<string, RegExp> = {};
  const json600 = keyOf(20, 'json600MB');
  await gzipStream(path(json600), function* () {
    yield Buffer.from('{"Records":[{"eventName":"');
    const chunk = Buffer.alloc(MB, 'a');
    for (let i = 0; i < 600; i++) yield chunk;
    yield Buffer.from('"}]}');
  });
  refused[json600] = /inflates past 32 MB/;
  const bomb = keyOf(21, 'gzipBomb256MB');
  await gzipStream(path(bomb), function* () {
    const zeros = Buffer.alloc(MB);
    for (let i = 0; i < 256; i++) yield zeros;
  });
  refused[bomb] = /inflates past 32 MB/;
  const tiny = keyOf(22, 'tinyValues');
  await put(tiny, `{"Records":[${'{},'.repeat(8 * MB)}{}]}`);
  refused[tiny] = /too many tiny JSON values/;
  const huge = keyOf(23, 'plain2GiB');
  await writeFile(path(huge), '{"Records":[');
  await truncate(path(huge), 2 * 1024 ** 3 + 1);
  refused[huge] = /is 2048 MB, over the 32 MB limit/;

  // A link out of the trail: never followed, counted as skipped.
  const secret = join(outside, 'secret.json.gz');
  await writeFile(secret, gzipSync(doc([stop()])));
  const link = keyOf(30, 'symlink');
  await symlink(secret, path(link));

  return { ordinary, analysed, refused, links: [link], nonObjectRecords: 4 };
}

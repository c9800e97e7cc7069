import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DECODE_LIMITS, decodeLogSlices, type CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { LogObjectError, ObjectTooLargeError } from '../../functions/core/errors.ts';
import { SLICE_BYTES, sliceBounds } from '../../functions/core/log-slices.ts';
import { decodeLogObject } from '../helpers/decode.ts';
import { aRecord } from '../helpers/records.ts';

const KEY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/10/02/f.json.gz';

// About 600 bytes a record: 200 records are several slices.
const records = (n: number, extra: (i: number) => Partial<CloudTrailRecord> = () => ({})) =>
  Array.from({ length: n }, (_, i) =>
    aRecord({ eventID: `e-${i}`, userAgent: `agent-${i}-${'x'.repeat(i % 50)}`, ...extra(i) }),
  );

function slicesOf(json: string) {
  const decoded = decodeLogSlices(KEY, gzipSync(json));
  return [...decoded.slices];
}

test('a large object is given in several slices whose records are exactly the whole parse, in order', () => {
  const json = JSON.stringify({ Records: records(300) });
  assert.ok(json.length > 4 * SLICE_BYTES);
  const slices = slicesOf(json);
  assert.ok(slices.length >= 4, `${slices.length} slices`);
  assert.equal(
    slices.flatMap((s) => s.records),
    JSON.parse(json).Records,
  );
  assert.equal(
    slices.map((s) => s.first),
    slices.map((_, i) => slices.slice(0, i).reduce((n, s) => n + s.records.length, 0)),
  );
});

test('a record holding objects keyed eventVersion in an array, across a slice end, is still one record', () => {
  // An attacker's DynamoDB item or tag map can hold `},{"eventVersion":` inside a record.
  const nested = Array.from({ length: 3000 }, (_, i) => ({ eventVersion: `${i}`, v: 'y'.repeat(20) }));
  const all = records(120, (i) => (i === 40 ? { requestParameters: { items: nested } } : {}));
  const json = JSON.stringify({ Records: all });
  const slices = slicesOf(json);
  assert.equal(
    slices.flatMap((s) => s.records),
    all,
  );
  assert.equal(slices.flatMap((s) => s.records)[40]!.requestParameters!.items, nested);
});

test('UTF-8 text and entries that are not objects decode as in the whole parse', () => {
  const all: unknown[] = records(200, (i) => ({ userAgent: `Ünïcødé 日本 🚀 ${i}` }));
  all.splice(50, 0, null, 7, 'x', [1]);
  const json = JSON.stringify({ Records: all });
  const slices = slicesOf(json);
  assert.ok(slices.length > 1);
  assert.equal(
    slices.flatMap((s) => s.records),
    all.filter((e) => e !== null && typeof e === 'object' && !Array.isArray(e)),
  );
  assert.is(
    slices.reduce((n, s) => n + s.skippedRecords, 0),
    4,
  );
});

test('other shapes (spaces, another first field, no records) are parsed whole, to the same records', () => {
  const all = records(150);
  const shapes = [
    JSON.stringify({ Records: all }, null, 1),
    JSON.stringify({ Records: all.map(({ eventVersion, ...rest }) => ({ ...rest, eventVersion })) }),
    `${JSON.stringify({ Records: all })}\n`,
  ];
  for (const json of shapes) assert.equal(decodeLogObject(KEY, gzipSync(json)).records, JSON.parse(json).Records);
  assert.equal(decodeLogObject(KEY, gzipSync('{"Records":[]}')).records, []);
});

test('JSON that breaks off after some slices: those records come first, then an error naming the byte', () => {
  const json = JSON.stringify({ Records: records(300) });
  const cut = `${json.slice(0, Math.floor(json.length * 0.8))}}]}`;
  const decoded = decodeLogSlices(KEY, gzipSync(cut));
  const given: CloudTrailRecord[] = [];
  let error: unknown;
  try {
    for (const slice of decoded.slices) given.push(...slice.records);
  } catch (e) {
    error = e;
  }
  assert.instance(error, LogObjectError);
  assert.match((error as LogObjectError).reason, /^invalid JSON in the records from byte \d+ on \(/);
  assert.ok(given.length > 100, `${given.length} records before the break`);
  assert.equal(given, JSON.parse(json).Records.slice(0, given.length));
  // Decoded whole, the object is refused as before.
  assert.throws(
    () => decodeLogObject(KEY, gzipSync(cut)),
    (e: unknown) => e instanceof LogObjectError,
  );
});

test('entries CloudTrail never writes (`{}` after `{}`) still count against the record limit', () => {
  const json = `{"Records":[${JSON.stringify(aRecord())},${Array(500).fill('{}').join(',')}]}`;
  const limits = { ...DECODE_LIMITS, maxRecords: 400 };
  const error = (() => {
    try {
      decodeLogObject(KEY, gzipSync(json), limits);
    } catch (e) {
      return e;
    }
  })();
  assert.instance(error, ObjectTooLargeError);
  assert.match((error as LogObjectError).reason, 'records, over the 400 limit');
});

test('a rest parsed as one after a cut inside a record is held to the memory limit the whole text was not scanned for', () => {
  // Small slices everywhere (the nested items are cut too), so the text is not scanned up front;
  // the cut inside record 5 makes the rest one parse, of tiny values: refused, not parsed.
  const nested = Array.from({ length: 60_000 }, () => ({ eventVersion: 1 }));
  const all = records(20, (i) => (i === 5 ? { requestParameters: { items: nested } } : {}));
  const json = Buffer.from(JSON.stringify({ Records: all }));
  const bounds = sliceBounds(json, DECODE_LIMITS.maxRecords)!;
  assert.ok(bounds.longest < 2 * SLICE_BYTES);
  const limits = { ...DECODE_LIMITS, maxParseBytes: json.length + 50 * bounds.longest + 1024 };
  const given: CloudTrailRecord[] = [];
  let error: unknown;
  try {
    for (const slice of decodeLogSlices(KEY, gzipSync(json), limits).slices) given.push(...slice.records);
  } catch (e) {
    error = e;
  }
  assert.instance(error, ObjectTooLargeError);
  assert.match((error as LogObjectError).reason, 'too many tiny JSON values');
  assert.equal(given, all.slice(0, given.length));
  // With room for it, the same object decodes whole and exact.
  assert.equal(decodeLogObject(KEY, gzipSync(json)).records, all);
});

test.run();

import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCostOf, principalOf, shortRecord } from '../../functions/core/cloudtrail.ts';
import { LogObjectError, ObjectTooLargeError } from '../../functions/core/errors.ts';
import { decodeLogObject } from '../helpers/decode.ts';
import { aRecord, aRootUser } from '../helpers/records.ts';

const KEY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/f.json.gz';

async function reasonOf(body: Uint8Array): Promise<string> {
  try {
    await decodeLogObject(KEY, body);
  } catch (error) {
    assert.instance(error, LogObjectError);
    assert.is((error as LogObjectError).key, KEY);
    return (error as LogObjectError).reason;
  }
  throw new Error('expected a LogObjectError');
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const decode = suite('decodeLogObject');

decode('decodes gzip and plain JSON log objects', async () => {
  const doc = { Records: [aRecord({ eventName: 'A' }), aRecord({ eventName: 'B' })] };
  for (const body of [gzipSync(JSON.stringify(doc)), Buffer.from(JSON.stringify(doc))]) {
    const decoded = await decodeLogObject(KEY, body);
    assert.equal(
      decoded.records.map((r) => r.eventName),
      ['A', 'B'],
    );
    assert.is(decoded.skippedRecords, 0);
  }
});

decode('counts Records entries that are not objects instead of failing', async () => {
  const decoded = await decodeLogObject(KEY, gzipSync(JSON.stringify({ Records: [aRecord(), null, 'x', [1]] })));
  assert.is(decoded.records.length, 1);
  assert.is(decoded.skippedRecords, 3);
});

decode('names the problem of each kind of bad object', async () => {
  const good = gzipSync(JSON.stringify({ Records: [aRecord()] }));
  assert.match(await reasonOf(new Uint8Array(0)), 'empty object (0 bytes)');
  assert.match(await reasonOf(good.subarray(0, good.length - 12)), 'gzip data is truncated or corrupt');
  assert.match(
    await reasonOf(Buffer.from('PK\u0003\u0004zip')),
    'not gzip and not JSON (starts with bytes 50 4b 03 04)',
  );
  assert.match(await reasonOf(gzipSync('{"Records": [')), 'invalid JSON');
  assert.match(await reasonOf(gzipSync('{"records": []}')), 'JSON has no "Records" array (top-level keys: records)');
  assert.match(await reasonOf(gzipSync('[1,2]')), 'not an object');
});

decode('refuses a gzip bomb at the limit, saying it inflates past it, without inflating it all', async () => {
  // 64 MB of zeros gzip to 64 KB; the limit here is 1 MB.
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  const limits = { maxJsonBytes: 1024 * 1024, maxParseBytes: 512 * 1024 * 1024, maxRecords: 10 };
  const error = thrown(() => decodeLogObject(KEY, bomb, limits));
  assert.instance(error, ObjectTooLargeError);
  assert.match((error as LogObjectError).reason, 'inflates past 1 MB');
});

decode('refuses plain JSON over the limit, and JSON whose tiny values would take too much memory', async () => {
  const limits = { maxJsonBytes: 1000, maxParseBytes: 100_000, maxRecords: 10 };
  const plain = Buffer.from(JSON.stringify({ Records: [aRecord({ userAgent: 'x'.repeat(2000) })] }));
  const tooBig = thrown(() => decodeLogObject(KEY, plain, limits));
  assert.match((tooBig as LogObjectError).reason, 'is 3 KB of JSON, over the 1 KB limit');
  const tiny = gzipSync(`{"Records":[${Array(300).fill('{}').join(',')}]}`);
  const dense = thrown(() =>
    decodeLogObject(KEY, tiny, { maxJsonBytes: 1000, maxParseBytes: 20_000, maxRecords: 1000 }),
  );
  assert.instance(dense, ObjectTooLargeError);
  assert.match((dense as LogObjectError).reason, 'too many tiny JSON values');
  const many = thrown(() =>
    decodeLogObject(KEY, tiny, { maxJsonBytes: 1000, maxParseBytes: 100_000, maxRecords: 299 }),
  );
  assert.instance(many, ObjectTooLargeError);
  assert.match((many as LogObjectError).reason, 'holds at least 300 records, over the 299 limit');
});

decode('decodes a gzip file whatever size its trailer states, and still refuses one inflating past the limit', () => {
  const json = JSON.stringify({ Records: Array.from({ length: 40 }, (_, i) => aRecord({ eventID: `e-${i}` })) });
  const gz = gzipSync(json);
  const limits = { maxJsonBytes: 64 * 1024, maxParseBytes: 64 * 1024 * 1024, maxRecords: 100 };
  // The last 4 bytes are the inflated size (ISIZE): state 0, far too much, and one byte short.
  for (const stated of [0, 0xffffffff, Buffer.byteLength(json) - 1]) {
    const lying = Buffer.from(gz);
    lying.writeUInt32LE(stated, lying.length - 4);
    // zlib checks ISIZE at the end of the stream: a wrong one is corrupt data, as before.
    const error = thrown(() => decodeLogObject(KEY, lying, limits));
    assert.match((error as LogObjectError).reason, 'gzip data is truncated or corrupt');
  }
  const decoded = decodeLogObject(KEY, gz, limits);
  assert.is(decoded.records.length, 40);
  assert.is(decoded.jsonBytes, Buffer.byteLength(json));
  // Two gzip members, one after the other: the trailer states only the last one's size.
  const half = Math.floor(json.length / 2);
  const members = Buffer.concat([gzipSync(json.slice(0, half)), gzipSync(json.slice(half))]);
  assert.equal(decodeLogObject(KEY, members, limits).records, decoded.records);
  const over = thrown(() => decodeLogObject(KEY, gz, { ...limits, maxJsonBytes: json.length - 1 }));
  assert.instance(over, ObjectTooLargeError);
});

decode('reads ASCII and UTF-8 text alike, gzip or plain', () => {
  for (const userAgent of ['aws-cli/2.15.30', 'Ünïcødé 日本 🚀', 'a\u0000b"\\']) {
    const records = [aRecord({ userAgent })];
    const json = JSON.stringify({ Records: records });
    assert.equal(decodeLogObject(KEY, gzipSync(json)).records, records);
    assert.equal(decodeLogObject(KEY, Buffer.from(json)).records, records);
  }
});

decode.run();

const cost = suite('parseCostOf');

cost('reads only as far as it must, but never misses tiny values at the end of a text', () => {
  const real = Buffer.from(JSON.stringify({ Records: Array.from({ length: 400 }, () => aRecord()) }));
  const full = parseCostOf(real);
  // A threshold the real text passes: the answer stays within it (the rest bounded, not read).
  for (const threshold of [full, full * 2, 40 * real.length])
    assert.ok(parseCostOf(real, threshold) <= threshold, `threshold ${threshold}`);
  // The same records followed by tiny values: only the end of the text is dense.
  const tail = Buffer.from(`${real.toString().slice(0, -2)},${Array(real.length).fill('{}').join(',')}]}`);
  const threshold = Math.floor(parseCostOf(tail) * 0.9);
  assert.ok(parseCostOf(tail, threshold) > threshold);
});

cost('estimates tiny-value JSON far above real records of the same size', () => {
  const real = Buffer.from(JSON.stringify({ Records: Array.from({ length: 50 }, () => aRecord()) }));
  const tiny = Buffer.from(
    `{"Records":[${Array(Math.floor(real.length / 3))
      .fill('{}')
      .join(',')}]}`,
  );
  assert.ok(parseCostOf(real) < 10 * real.length);
  assert.ok(parseCostOf(tiny) > 30 * real.length);
});

cost.run();

const helpers = suite('principalOf and shortRecord');

helpers('falls back from ARN to invokedBy to identity type', () => {
  assert.is(principalOf(aRecord()), 'arn:aws:iam::123456789012:user/alice');
  assert.is(
    principalOf(aRecord({ userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } })),
    'ec2.amazonaws.com',
  );
  assert.is(principalOf(aRecord({ userIdentity: { ...aRootUser(), arn: undefined } })), 'Root');
  assert.is(principalOf(aRecord({ userIdentity: undefined })), 'unknown');
});

helpers("renders the workshop's one-line form", () => {
  const line = shortRecord(
    aRecord({ eventTime: '2017-11-28T19:05:00Z', eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }),
  );
  assert.is(line, '[2017-11-28T19:05:00Z] us-east-1\t192.0.2.10\tcloudtrail:StopLogging');
});

helpers.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { boundedJson, compactText, cutToBytes, DEPTH_MARKER, recordCopy } from '../../functions/core/bounded.ts';
import { aCall, anInstanceSession } from '../helpers/records.ts';

const cut = suite('cutToBytes');

cut('keeps a string that fits and cuts a longer one by bytes, marker included, on a character boundary', () => {
  assert.equal(cutToBytes('abc', 10), { text: 'abc', cut: false });
  const result = cutToBytes('€'.repeat(1000), 100);
  assert.is(result.cut, true);
  assert.ok(Buffer.byteLength(result.text) <= 100);
  assert.match(result.text, /^€+…\[cut\]$/);
});

cut.run();

const json = suite('boundedJson');

json('writes exactly what JSON.stringify writes for an ordinary record', () => {
  const record = { a: 1, b: 'x"y', c: [1, null, true, undefined], d: { e: undefined, f: Number.NaN }, g: '€' };
  assert.equal(boundedJson(record), { json: JSON.stringify(record), truncated: false });
});

json('replaces values nested past the depth limit with a marker instead of recursing', () => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const { json: text, truncated } = boundedJson(deep, Number.POSITIVE_INFINITY, 8);
  assert.is(truncated, true);
  assert.is(text, `${'['.repeat(8)}${JSON.stringify(DEPTH_MARKER)}${']'.repeat(8)}`);
});

json('stops early and cuts by bytes when the output would pass the limit', () => {
  const { json: text, truncated } = boundedJson({ big: 'é'.repeat(1_000_000), more: ['x'] }, 1000);
  assert.is(truncated, true);
  assert.ok(Buffer.byteLength(text) <= 1000);
});

json.run();

const compact = suite('compactText');

compact('keeps short plain text and shortens the rest within the bytes, keeping different texts different', () => {
  assert.is(
    compactText('arn:aws:secretsmanager:us-east-1:123456789012:secret:db', 64),
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:db',
  );
  const long = ['a', 'b'].map((end) => compactText(`${'x'.repeat(500)}${end}`, 48));
  assert.is.not(long[0], long[1]);
  const odd = ['"\u0001€'.repeat(100), '\\\u0002€'.repeat(100)].map((text) => compactText(text, 48));
  assert.is.not(odd[0], odd[1]);
  for (const text of [...long, ...odd]) assert.ok(Buffer.byteLength(JSON.stringify(text)) <= 50, text);
});

compact('lone surrogates (escaped as six bytes each in JSON) stay within the bytes too; paired ones are kept', () => {
  // An attacker-chosen name of lone surrogates: counted as 3 UTF-8 bytes each, stored as \udXXX.
  const lone = ['\ud800'.repeat(40), '\udfff'.repeat(40), `${'a'.repeat(47)}\ud83d`].map((t) => compactText(t, 48));
  assert.is.not(lone[0], lone[1]);
  for (const text of lone) assert.ok(Buffer.byteLength(JSON.stringify(text)) <= 50, JSON.stringify(text));
  assert.is(compactText('secret-\u{1F511}', 48), 'secret-\u{1F511}', 'an emoji (a surrogate pair) is plain text');
});

compact.run();

const copy = suite('recordCopy');

copy('keeps the fields a finding shows, cut, and drops what it does not', () => {
  const record = aCall('s3', 'PutObject', { big: 'x'.repeat(10_000) }, { userAgent: 'u'.repeat(5000) });
  const result = recordCopy(record, { fieldBytes: 160, requestParametersBytes: 4096 });
  assert.is(result.eventID, record.eventID);
  assert.ok(Buffer.byteLength(result.userAgent ?? '') <= 160);
  assert.equal(result.requestParameters, { truncated: true });
  assert.is(result.responseElements, undefined);
  assert.equal(result.userIdentity, record.userIdentity);
});

copy('keeps only who called when asked, and the known identity fields of a huge identity', () => {
  const identity = { ...anInstanceSession(), padding: 'p'.repeat(100_000) };
  const result = recordCopy(aCall('s3', 'ListBuckets', null, { userIdentity: identity }), {
    identityOnly: true,
    fieldBytes: 128,
    identityBytes: 2048,
  });
  assert.equal(Object.keys(result).sort(), ['eventVersion', 'recipientAccountId', 'userIdentity']);
  assert.is(result.userIdentity?.arn, identity.arn);
  assert.is(result.userIdentity?.sessionContext?.ec2RoleDelivery, '2.0');
  assert.is((result.userIdentity as Record<string, unknown>).padding, undefined);
  assert.ok(Buffer.byteLength(JSON.stringify(result)) < 2048);
});

copy('returns a small record itself when whole records are allowed', () => {
  const record = aCall('s3', 'ListBuckets');
  assert.is(recordCopy(record, { fieldBytes: 256, wholeUpToBytes: 16_384 }), record);
  const big = aCall('s3', 'ListBuckets', { big: 'x'.repeat(20_000) });
  assert.is.not(recordCopy(big, { fieldBytes: 256, wholeUpToBytes: 16_384 }), big);
});

copy.run();

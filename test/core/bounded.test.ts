import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { boundedJson, cutToBytes, DEPTH_MARKER } from '../../functions/core/bounded.ts';

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

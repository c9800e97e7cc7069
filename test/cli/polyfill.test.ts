import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// What Node.js 20 lacks that the embedded interpreter (aws-local-stepfunctions, engines >= 22)
// calls: the CLI and this suite run on Node.js 20, so this is the supported path, not a fallback.
await import('../../cli/local/polyfill.ts');
const native = String((Promise as { withResolvers?: unknown }).withResolvers).includes('[native code]');

type WithResolvers = <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
const withResolvers = (Promise as unknown as { withResolvers: WithResolvers }).withResolvers.bind(Promise);

const test = suite('Promise.withResolvers polyfill (cli/local/polyfill.ts)');

test(`is there after the import (native on this Node.js ${process.versions.node}: ${String(native)})`, () => {
  assert.type((Promise as { withResolvers?: unknown }).withResolvers, 'function');
  if (Number(process.versions.node.split('.')[0]) < 22)
    assert.not.ok(native, 'Node.js 20 has no Promise.withResolvers: the polyfill is what runs');
});

test('resolves and rejects the promise it hands out', async () => {
  const ok = withResolvers<number>();
  ok.resolve(41 + 1);
  assert.is(await ok.promise, 42);
  const failed = withResolvers<number>();
  failed.reject(new Error('no'));
  await failed.promise.then(
    () => assert.unreachable('resolved'),
    (error: Error) => assert.is(error.message, 'no'),
  );
});

test.run();

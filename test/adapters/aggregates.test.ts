import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES, openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import { DynamoAggregateStore } from '../../functions/adapters/aggregates.ts';
import { shardOf } from '../../functions/core/correlation.ts';
import { tempDir } from '../helpers/local.ts';

interface Context {
  store: LocalStore;
  cleanup: () => Promise<void>;
}

const test = suite<Context>('DynamoAggregateStore', {
  store: undefined as unknown as LocalStore,
  cleanup: async () => {},
});
test.before(async (ctx) => {
  const { dir, cleanup } = await tempDir();
  ctx.cleanup = cleanup;
  ctx.store = await openLocalStore(dir);
});
test.after(async (ctx) => {
  await ctx.store?.close();
  await ctx.cleanup();
});

/** A client that answers the first BatchWriteItem with half its items unprocessed, and counts calls. */
function flaky(client: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; batchWrites: number[] } {
  const batchWrites: number[] = [];
  let first = true;
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        if (command instanceof BatchWriteCommand) {
          const requests = Object.values(command.input.RequestItems!)[0]!;
          batchWrites.push(requests.length);
          if (first) {
            first = false;
            const half = requests.slice(0, Math.ceil(requests.length / 2));
            await target.send(new BatchWriteCommand({ RequestItems: { [LOCAL_TABLES.state]: half } }));
            return { UnprocessedItems: { [LOCAL_TABLES.state]: requests.slice(half.length) } };
          }
        }
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  return { client: proxy, batchWrites };
}

/** An aggregate store over a client that leaves items unprocessed, with no wait between retries. */
function flakyStore(target: Parameters<typeof flaky>[0]) {
  const { client, batchWrites } = flaky(target);
  const aggregates = new DynamoAggregateStore(
    client,
    LOCAL_TABLES.state,
    3,
    () => new Date('2026-12-01T00:00:00Z'),
    async () => undefined,
  );
  return { aggregates, batchWrites };
}

test('writes one item per key in calls of 25, sends unprocessed items again, and lists the touched keys by shard', async ({
  store,
}) => {
  const { aggregates, batchWrites } = flakyStore(store.client);
  const entries = Array.from({ length: 60 }, (_, i) => ({
    detector: 'burst',
    key: `principal|user-${i}`,
    aggregate: { ids: [`e${i}`], big: i === 7 ? 'x'.repeat(5000) : '' },
  }));
  const written = await aggregates.putWorkItem('run-1', 3, entries);
  assert.is(written, 61);
  assert.ok(batchWrites.every((n) => n <= 25));
  assert.is(batchWrites.length, 5, `calls: ${batchWrites.join(', ')}`);
  const touched: string[] = [];
  for (let shard = 0; shard < 4; shard++) {
    for await (const page of aggregates.touchedKeys('run-1', shard, 4)) {
      for (const { key } of page) {
        assert.is(shardOf('burst', key, 4), shard);
        touched.push(key);
      }
    }
  }
  assert.equal(touched.sort(), entries.map((e) => e.key).sort());
  assert.equal(await aggregates.readAggregates('burst', 'principal|user-7'), [entries[7]!.aggregate]);
  assert.equal(await aggregates.readAggregates('burst', 'principal|nobody'), []);
});

test('a retried work item overwrites its own item; another work item adds one; both carry the TTL', async ({
  store,
}) => {
  const aggregates = new DynamoAggregateStore(
    store.client,
    LOCAL_TABLES.state,
    2,
    () => new Date('2026-12-01T00:00:00Z'),
  );
  const key = 'instance|123456789012|arn:aws:iam::123456789012:role/R|i-0abc';
  await aggregates.putWorkItem('run-2', 0, [{ detector: 'off', key, aggregate: { n: 1 } }]);
  await aggregates.putWorkItem('run-2', 0, [{ detector: 'off', key, aggregate: { n: 1 } }]);
  await aggregates.putWorkItem('run-2', 1, [{ detector: 'off', key, aggregate: { n: 2 } }]);
  assert.equal(await aggregates.readAggregates('off', key), [{ n: 1 }, { n: 2 }]);
  assert.equal(await aggregates.readAggregates('other-detector', key), []);
});

test('packed keys: one item per pack per work item, one shard per pack, read back by key across work items', async ({
  store,
}) => {
  const { aggregates, batchWrites } = flakyStore(store.client);
  const entry = (i: number, batch: number) => ({
    detector: 'burst',
    key: `user-${i}#123456789012#2026-10-01`,
    pack: `123456789012#2026-10-01#${i % 3}`,
    aggregate: { i, batch },
  });
  const first = Array.from({ length: 60 }, (_, i) => entry(i, 0));
  assert.is(await aggregates.putWorkItem('run-5', 0, first), 3 + 1, 'three packs and the touched list');
  assert.equal(batchWrites, [3, 1, 1], 'the three packs (one left unprocessed, sent again), then the touched list');
  await aggregates.putWorkItem('run-5', 1, [entry(4, 1), { detector: 'other', key: 'k', aggregate: 1 }]);
  const shardsOfPack = new Map<string, Set<number>>();
  const touched: string[] = [];
  for (let shard = 0; shard < 4; shard++) {
    for await (const page of aggregates.touchedKeys('run-5', shard, 4)) {
      for (const { detector, key } of page) {
        touched.push(`${detector} ${key}`);
        const pack = first.find((e) => e.key === key)?.pack ?? key;
        if (!shardsOfPack.has(pack)) shardsOfPack.set(pack, new Set());
        shardsOfPack.get(pack)!.add(shard);
      }
    }
  }
  assert.is(touched.length, 62);
  assert.ok(
    [...shardsOfPack.values()].every((shards) => shards.size === 1),
    'a pack is judged in one shard',
  );
  assert.equal(await aggregates.readAggregates('burst', entry(4, 0).key, entry(4, 0).pack), [
    { i: 4, batch: 0 },
    { i: 4, batch: 1 },
  ]);
  assert.equal(await aggregates.readAggregates('burst', 'user-99#123456789012#2026-10-01', entry(0, 0).pack), []);
  assert.equal(await aggregates.readAggregates('other', 'k'), [1]);
  // A later run's Correlate starts with touchedKeys and sees what was stored since.
  await aggregates.putWorkItem('run-6', 0, [entry(4, 7)]);
  for await (const _ of aggregates.touchedKeys('run-6', 0, 4));
  assert.is((await aggregates.readAggregates('burst', entry(4, 0).key, entry(4, 0).pack)).length, 3);
});

test('a pack too large for one item is split into parts that read back whole', async ({ store }) => {
  const aggregates = new DynamoAggregateStore(store.client, LOCAL_TABLES.state);
  // Incompressible aggregates of 100 KB: 12 of them cannot gzip into one 400 KB item.
  const noise = (i: number) => randomBytes(75_000).toString('base64') + i;
  const entries = Array.from({ length: 12 }, (_, i) => ({
    detector: 'burst',
    key: `user-${i}`,
    pack: 'one-pack',
    aggregate: { i, noise: noise(i) },
  }));
  const written = await aggregates.putWorkItem('run-7', 0, entries);
  assert.ok(written > 2, `${written} items`);
  for (const e of entries) assert.equal(await aggregates.readAggregates('burst', e.key, 'one-pack'), [e.aggregate]);
});

test("stores and lists each Correlate shard's result, a retry replacing it", async ({ store }) => {
  const aggregates = new DynamoAggregateStore(store.client, LOCAL_TABLES.state);
  const result = (shard: number, created: number) => ({
    shard,
    keys: { touched: 1, judged: 1 },
    findings: { new: created, duplicate: 0, suppressed: 0 },
    byDetector: {},
    suppressedByRule: {},
    failures: [],
  });
  await aggregates.putCorrelateResult('run-3', result(2, 1));
  await aggregates.putCorrelateResult('run-3', result(2, 1));
  await aggregates.putCorrelateResult('run-3', result(11, 4));
  assert.equal(await aggregates.listCorrelateResults('run-3'), [result(2, 1), result(11, 4)]);
  assert.equal(await aggregates.listCorrelateResults('run-4'), []);
});

test.run();

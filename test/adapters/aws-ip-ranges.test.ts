import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES, openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import {
  AwsIpRangesFetchError,
  compactPrefixes,
  DynamoAwsRangesCache,
  httpRangesFetcher,
  MAX_CACHED_BYTES,
  stateTableAwsRanges,
} from '../../functions/adapters/aws-ip-ranges.ts';
import { cachedAwsRanges, type AwsRangesSource } from '../../functions/core/aws-ranges.ts';
import { awsIpRangesUrlFromEnv } from '../../functions/core/config.ts';
import { awsStep } from '../../functions/compose.ts';
import { ConfigError } from '../../functions/core/errors.ts';
import { ipRangesJson, ipRangesServer } from '../helpers/ip-ranges-server.ts';
import { tempDir } from '../helpers/local.ts';
import { mulberry32 } from '../helpers/prng.ts';

const IN_AWS = '192.0.2.10';
const OUTSIDE = '203.0.113.66';
const START = Date.parse('2026-12-01T06:00:00Z');
const HOUR = 3_600_000;

interface Context {
  store: LocalStore;
  cleanup: () => Promise<void>;
}

/** A suite over one dynalite store whose ranges cache is emptied before each test. */
function storeSuite(name: string) {
  const test = suite<Context>(name, { store: undefined as unknown as LocalStore, cleanup: async () => {} });
  test.before(async (ctx) => {
    const { dir, cleanup } = await tempDir();
    ctx.cleanup = cleanup;
    ctx.store = await openLocalStore(dir);
  });
  test.before.each(async ({ store }) => {
    for (const sk of ['COPY', 'FETCH'])
      await store.client.send(new DeleteCommand({ TableName: LOCAL_TABLES.state, Key: { pk: 'AWS_IP_RANGES', sk } }));
  });
  test.after(async (ctx) => {
    await ctx.store?.close();
    await ctx.cleanup();
  });
  return test;
}

/** A clock tests move, and a Lambda's view of the ranges (a fresh one plays a new container). */
function lambda(store: LocalStore, url: string, at: { ms: number }, log: string[]): AwsRangesSource {
  return stateTableAwsRanges(store.client, LOCAL_TABLES.state, url, {
    now: () => new Date(at.ms),
    log: (line) => log.push(line),
  });
}

// ------------------------------------------------------------------------------------------------
const source = storeSuite('stateTableAwsRanges');

source('the first call fetches the ranges and stores them in the state table', async ({ store }) => {
  const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
  try {
    const log: string[] = [];
    const ranges = await lambda(store, server.url, { ms: START }, log).current();
    assert.ok(ranges?.contains(IN_AWS));
    assert.ok(ranges?.contains('2001:db8:1000::5'));
    assert.not.ok(ranges?.contains(OUTSIDE));
    assert.is(ranges?.prefixCount, 3, 'AWS lists a prefix once per service: kept once');
    assert.is(ranges?.syncToken, '1764547200');
    assert.is(server.requests(), 1);
    const cached = (await new DynamoAwsRangesCache(store.client, LOCAL_TABLES.state).read()).cached;
    assert.equal(cached, {
      prefixes: ['192.0.2.0/24', '198.51.100.0/25', '2001:db8:1000::/36'],
      fetchedAt: new Date(START).toISOString(),
      syncToken: '1764547200',
      createDate: '2026-12-01-00-00-00',
    });
    assert.equal(log, [`AWS ip ranges: fetched 3 prefixes (syncToken 1764547200) from ${server.url}`]);
  } finally {
    await server.close();
  }
});

source('within 24 hours every Lambda reads the cached copy and never calls the URL', async ({ store }) => {
  const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
  try {
    const at = { ms: START };
    const first = lambda(store, server.url, at, []);
    await first.current();
    at.ms = START + 23 * HOUR;
    const log: string[] = [];
    // The same container (in memory) and a new one (from the table).
    assert.ok((await first.current())?.contains(IN_AWS));
    assert.ok((await lambda(store, server.url, at, log).current())?.contains(IN_AWS));
    assert.is(server.requests(), 1);
    assert.equal(log, []);
  } finally {
    await server.close();
  }
});

source('a copy older than 24 hours is fetched again, and the new publication replaces it', async ({ store }) => {
  const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
  try {
    const at = { ms: START };
    const container = lambda(store, server.url, at, []);
    assert.not.ok((await container.current())?.contains('198.51.100.200'));
    server.answer({ kind: 'json', body: ipRangesJson({ syncToken: '1764633600', extra: ['198.51.100.128/25'] }) });
    at.ms = START + 25 * HOUR;
    const ranges = await container.current();
    assert.ok(ranges?.contains('198.51.100.200'));
    assert.is(ranges?.syncToken, '1764633600');
    assert.is(server.requests(), 2);
    const cached = (await new DynamoAwsRangesCache(store.client, LOCAL_TABLES.state).read()).cached;
    assert.is(cached?.fetchedAt, new Date(at.ms).toISOString());
  } finally {
    await server.close();
  }
});

for (const [failure, answer, reason] of [
  ['a 500', { kind: 'status', status: 500 }, 'HTTP 500'],
  ['invalid JSON', { kind: 'json', body: '{"prefixes": [' }, 'invalid JSON'],
  ['the wrong shape', { kind: 'json', body: '{"prefixes": [{"ip_prefix": "192.0.2.0/33"}]}' }, 'not an IPv4 CIDR'],
  ['no prefixes', { kind: 'json', body: '{"syncToken": "1", "prefixes": []}' }, 'no prefixes'],
] as const) {
  source(
    `on ${failure}, goes on with the stale copy, saying how old, then without once none is cached`,
    async ({ store }) => {
      const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
      try {
        const at = { ms: START };
        await lambda(store, server.url, at, []).current();
        server.answer(answer);
        at.ms = START + 30 * HOUR;
        const log: string[] = [];
        const stale = await lambda(store, server.url, at, log).current();
        assert.ok(stale?.contains(IN_AWS), 'the stale copy is still used');
        assert.is(log.length, 1);
        assert.match(log[0]!, `cannot fetch ${server.url}`);
        assert.match(log[0]!, reason);
        assert.match(log[0]!, `going on with the copy fetched ${new Date(START).toISOString()} (30 h old)`);

        // With nothing cached: no ranges, one line, and nobody tries again within the hour.
        await store.client.send(
          new DeleteCommand({ TableName: LOCAL_TABLES.state, Key: { pk: 'AWS_IP_RANGES', sk: 'COPY' } }),
        );
        at.ms += 2 * HOUR;
        const none: string[] = [];
        assert.is(await lambda(store, server.url, at, none).current(), undefined);
        assert.match(none.join('\n'), /going on without AWS's published ranges$/);
        const requests = server.requests();
        const later: string[] = [];
        at.ms += 10 * 60_000;
        assert.is(await lambda(store, server.url, at, later).current(), undefined);
        assert.is(server.requests(), requests, 'a failed fetch is not tried again for an hour');
        assert.match(later[0]!, 'failed; it is tried again after 60 min; going on without');
      } finally {
        await server.close();
      }
    },
  );
}

source('with no egress (nothing listening), goes on without the ranges in one line', async ({ store }) => {
  const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
  await server.close();
  const log: string[] = [];
  assert.is(await lambda(store, server.url, { ms: START }, log).current(), undefined);
  assert.equal(log, [
    `AWS ip ranges: cannot fetch ${server.url} (${server.url}: ECONNREFUSED); going on without AWS's published ranges`,
  ]);
});

source('Lambdas starting together fetch once; the others wait for that copy', async ({ store }) => {
  const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
  try {
    const at = { ms: START };
    const answers = await Promise.all(Array.from({ length: 8 }, () => lambda(store, server.url, at, []).current()));
    assert.is(server.requests(), 1);
    for (const ranges of answers) assert.ok(ranges?.contains(IN_AWS));
  } finally {
    await server.close();
  }
});

source('a fetch another Lambda claimed is waited for only while it can still be running', async ({ store }) => {
  const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
  try {
    const cache = new DynamoAwsRangesCache(store.client, LOCAL_TABLES.state);
    const at = { ms: START };
    let slept = 0;
    const container = (log: string[]) =>
      cachedAwsRanges({
        cache,
        fetcher: httpRangesFetcher(server.url),
        now: () => new Date(at.ms),
        log: (line) => log.push(line),
        waitMs: 300,
        sleep: async (ms) => {
          slept += ms;
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
      });
    // Claimed just now by another Lambda, nothing stored yet: wait, then go on without.
    assert.ok(await cache.claim(new Date(START).toISOString(), new Date(START - HOUR).toISOString()));
    const waiting: string[] = [];
    assert.is(await container(waiting).current(), undefined);
    assert.match(waiting[0]!, 'another caller is fetching them and has not stored them yet');
    assert.is(slept, 300);
    // A minute later that Lambda is gone (timed out): nobody waits for it, nobody fetches within the hour.
    at.ms += 60_000;
    const gone: string[] = [];
    assert.is(await container(gone).current(), undefined);
    assert.is(slept, 300, 'no more waiting');
    assert.match(gone[0]!, 'did not finish; it is tried again after 60 min');
    assert.is(server.requests(), 0);
    at.ms += HOUR;
    assert.ok((await container([]).current())?.contains(IN_AWS), 'after the hour, the next Lambda fetches');
  } finally {
    await server.close();
  }
});

source.run();

// ------------------------------------------------------------------------------------------------
const fetcher = suite('httpRangesFetcher');

fetcher('gives up on a server that does not answer within the timeout', async () => {
  const server = await ipRangesServer({ kind: 'silent' });
  try {
    const error = await httpRangesFetcher(server.url, { timeoutMs: 200 })
      .fetch()
      .catch((e: unknown) => e);
    assert.instance(error, AwsIpRangesFetchError);
    assert.match(String((error as Error).message), 'no answer within 200 ms');
  } finally {
    await server.close();
  }
});

fetcher('refuses a body over the size limit, declared or streamed', async () => {
  const body = ipRangesJson({ extra: Array.from({ length: 40 }, (_, i) => `198.51.100.${i}/32`) });
  for (const chunked of [false, true]) {
    const server = await ipRangesServer({ kind: 'json', body, chunked });
    try {
      const error = await httpRangesFetcher(server.url, { maxBytes: 2048 })
        .fetch()
        .catch((e: unknown) => e);
      assert.instance(error, AwsIpRangesFetchError);
      assert.match(String((error as Error).message), 'over the 2048-byte limit');
    } finally {
      await server.close();
    }
  }
});

fetcher.run();

// ------------------------------------------------------------------------------------------------
const compact = suite('compactPrefixes');

compact("a publication well past today's size fits one DynamoDB item with room to spare", () => {
  // 20,000 distinct random prefixes (today's file, ~1.7 MB, has fewer, and they compress better).
  const rng = mulberry32(9);
  const prefixes = new Set<string>();
  while (prefixes.size < 14_000) prefixes.add(`${rng.int(3, 220)}.${rng.int(0, 255)}.${rng.int(0, 255)}.0/24`);
  while (prefixes.size < 20_000)
    prefixes.add(`2600:${rng.int(0, 65535).toString(16)}:${rng.int(0, 65535).toString(16)}::/56`);
  const packed = compactPrefixes([...prefixes]);
  assert.ok(packed.byteLength < MAX_CACHED_BYTES / 2, `${packed.byteLength} bytes`);
});

compact('refuses a copy over the item budget instead of a write DynamoDB would refuse', () => {
  const rng = mulberry32(3);
  const huge = Array.from(
    { length: 60_000 },
    () =>
      `2600:${rng.int(0, 65535).toString(16)}:${rng.int(0, 65535).toString(16)}:${rng.int(0, 65535).toString(16)}::/64`,
  );
  assert.throws(() => compactPrefixes(huge), /over the 358400-byte item budget/);
});

compact.run();

// ------------------------------------------------------------------------------------------------
const url = suite('awsIpRangesUrlFromEnv');

url('fetching is on only where the stack sets the URL, and a bundled file wins', () => {
  assert.is(awsIpRangesUrlFromEnv({}), undefined);
  const env = { AWS_IP_RANGES_URL: 'https://ip-ranges.amazonaws.com/ip-ranges.json' };
  assert.is(awsIpRangesUrlFromEnv(env), env.AWS_IP_RANGES_URL);
  assert.is(awsIpRangesUrlFromEnv({ ...env, AWS_IP_RANGES_FILE: '/var/task/ip-ranges.json' }), undefined);
});

url('refuses a value that is not an http(s) URL, naming the variable', () => {
  for (const bad of ['ip-ranges.json', 'file:///etc/passwd'])
    assert.throws(
      () => awsIpRangesUrlFromEnv({ AWS_IP_RANGES_URL: bad }),
      (error: unknown) =>
        error instanceof ConfigError && /AWS_IP_RANGES_URL must be an http\(s\) URL/.test(String(error)),
    );
});

url('a Lambda whose AWS_IP_RANGES_URL is not a URL fails its cold start, naming the variable', async () => {
  const env = { STATE_TABLE: 'state', FINDINGS_TABLE: 'findings', AWS_REGION: 'us-east-1' };
  const error = await awsStep('Correlate', { ...env, AWS_IP_RANGES_URL: 'ip-ranges.json' }).catch((e: unknown) => e);
  assert.instance(error, ConfigError);
  assert.match(String(error), 'AWS_IP_RANGES_URL');
  assert.type(
    await awsStep('Correlate', { ...env, AWS_IP_RANGES_URL: 'https://ip-ranges.amazonaws.com/ip-ranges.json' }),
    'function',
  );
});

url.run();

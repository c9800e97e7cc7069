import { createHash } from 'node:crypto';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES, openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import { DynamoFindingsStore } from '../../functions/adapters/dynamodb.ts';
import { findFindings, principalMatches } from '../../functions/adapters/findings-query.ts';
import { reviewFindings } from '../../functions/adapters/findings-review.ts';
import { aFinding } from '../helpers/findings.ts';
import { tempDir } from '../helpers/local.ts';

interface Context {
  cleanup: () => Promise<void>;
  store: LocalStore;
}

/** Each suite gets its own dynalite in its own folder (LevelDB locks a folder to one server). */
function withStore(name: string) {
  const s = suite<Context>(name, { cleanup: async () => {}, store: undefined as unknown as LocalStore });
  s.before(async (ctx) => {
    const dir = await tempDir();
    ctx.cleanup = dir.cleanup;
    ctx.store = await openLocalStore(dir.dir);
  });
  s.after(async (ctx) => {
    await ctx.store?.close();
    await ctx.cleanup();
  });
  return s;
}

/** A client that records the commands it sends, by name. */
function counting(client: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; sent: string[] } {
  const sent: string[] = [];
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        sent.push(command.constructor.name);
        return (target.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
      };
    },
  });
  return { client: proxy, sent };
}

const FINDINGS = LOCAL_TABLES.findings;
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const ROOT = 'arn:aws:iam::123456789012:root';
const GENERATOR = 'arn:aws:sts::123456789012:assumed-role/GeneratorRole/Generator';
const OTHER_ACCOUNT = '210987654321';

/** Eight findings over detectors (one a Sigma rule), accounts, principals, runs and severities, at distinct times. */
const SEEDED = [
  aFinding({
    detector: 'deleting-logs',
    eventTime: '2017-11-28T19:05:10Z',
    principal: GENERATOR,
    runId: 'run-a',
    eventName: 'StopLogging',
  }),
  aFinding({
    detector: 'deleting-logs',
    eventTime: '2017-11-28T19:05:40Z',
    principal: GENERATOR,
    runId: 'run-a',
    eventName: 'DeleteLogGroup',
  }),
  aFinding({
    detector: 'deleting-logs',
    eventTime: '2017-11-28T19:05:41Z',
    principal: GENERATOR,
    runId: 'run-b',
    eventName: 'DeleteTrail',
  }),
  aFinding({
    detector: 'deleting-logs',
    eventTime: '2017-11-27T08:00:00Z',
    principal: ALICE,
    account: OTHER_ACCOUNT,
    runId: 'run-b',
  }),
  aFinding({
    detector: 'root-user-activity',
    eventTime: '2017-11-28T20:00:00Z',
    principal: ROOT,
    runId: 'run-b',
    severity: 'critical',
  }),
  aFinding({
    detector: 'root-user-activity',
    eventTime: '2017-11-26T10:00:00Z',
    principal: 'Root',
    account: OTHER_ACCOUNT,
    runId: 'run-a',
    severity: 'critical',
  }),
  aFinding({
    detector: 'sigma-aws-guardduty-detector-deleted',
    eventTime: '2017-11-28T21:00:00Z',
    principal: ALICE,
    runId: 'run-a',
    severity: 'medium',
  }),
  aFinding({
    detector: 'sigma-aws-console-login-without-mfa',
    eventTime: '2017-11-25T21:00:00Z',
    principal: ALICE,
    runId: 'run-a',
    severity: 'low',
  }),
];
type Seeded = (typeof SEEDED)[number];
const times = (found: { eventTime: string }[]) => found.map((f) => f.eventTime);
const newestFirst = (items: Seeded[]) =>
  items
    .map((f) => f.eventTime)
    .sort()
    .reverse();

const query = withStore('findFindings');

query.before(async ({ store }) => {
  const findings = new DynamoFindingsStore(store.client, FINDINGS);
  for (const finding of SEEDED) await findings.putIfNew(finding);
});

query(
  'with no filter it lists every stored finding, Sigma ones included, newest first, through the status index',
  async ({ store }) => {
    const { client, sent } = counting(store.client);
    const page = await findFindings(client, FINDINGS, {});
    assert.equal(times(page.findings), newestFirst(SEEDED));
    assert.is(page.total, SEEDED.length);
    // One query per review state, one batched read of the shown items; never a scan.
    assert.equal(sent, ['QueryCommand', 'QueryCommand', 'QueryCommand', 'BatchGetCommand']);
  },
);

query('by detector: that detector only, newest first, whole items', async ({ store }) => {
  const { findings } = await findFindings(store.client, FINDINGS, { detector: 'deleting-logs' });
  assert.equal(times(findings), newestFirst(SEEDED.filter((f) => f.detector === 'deleting-logs')));
  assert.equal(findings[0], SEEDED[2]);
});

query('by a list of accounts, across detectors', async ({ store }) => {
  const one = await findFindings(store.client, FINDINGS, { accounts: [OTHER_ACCOUNT] });
  assert.equal(times(one.findings), newestFirst(SEEDED.filter((f) => f.account === OTHER_ACCOUNT)));
  const both = await findFindings(store.client, FINDINGS, { accounts: [OTHER_ACCOUNT, '123456789012'] });
  assert.is(both.total, SEEDED.length);
});

query('by principal as the table shows it: user/alice, root, a role session, or the full ARN', async ({ store }) => {
  const alice = SEEDED.filter((f) => f.principal === ALICE);
  assert.equal(
    times((await findFindings(store.client, FINDINGS, { principal: 'user/alice' })).findings),
    newestFirst(alice),
  );
  assert.equal(times((await findFindings(store.client, FINDINGS, { principal: ALICE })).findings), newestFirst(alice));
  const generator = newestFirst(SEEDED.filter((f) => f.principal === GENERATOR));
  assert.equal(
    times((await findFindings(store.client, FINDINGS, { principal: 'assumed-role/GeneratorRole/Generator' })).findings),
    generator,
  );
  assert.equal(
    times((await findFindings(store.client, FINDINGS, { principal: 'GeneratorRole/Generator' })).findings),
    generator,
  );
  // `root` is both the tail of the root ARN and the identity type some records carry.
  assert.equal(times((await findFindings(store.client, FINDINGS, { principal: 'root' })).findings), [
    '2017-11-28T20:00:00Z',
    '2017-11-26T10:00:00Z',
  ]);
});

query('by run, newest event first even with a limit (the run index is not in event-time order)', async ({ store }) => {
  const runB = SEEDED.filter((f) => f.runId === 'run-b');
  const page = await findFindings(store.client, FINDINGS, { runId: 'run-b', limit: 1 });
  assert.equal(times(page.findings), newestFirst(runB).slice(0, 1));
  assert.is(page.total, runB.length);
});

query('severity means that level and above; filters combine', async ({ store }) => {
  const high = await findFindings(store.client, FINDINGS, { severity: 'high' });
  assert.equal(
    times(high.findings),
    newestFirst(SEEDED.filter((f) => f.severity === 'high' || f.severity === 'critical')),
  );
  const narrow = await findFindings(store.client, FINDINGS, {
    detector: 'deleting-logs',
    accounts: [OTHER_ACCOUNT],
    principal: 'user/alice',
  });
  assert.equal(times(narrow.findings), ['2017-11-27T08:00:00Z']);
});

query('since and until bound event time, both inclusive, on every index', async ({ store }) => {
  const found = await findFindings(store.client, FINDINGS, {
    detector: 'deleting-logs',
    since: '2017-11-28T19:05:10Z',
    until: '2017-11-28T19:05:40Z',
  });
  assert.equal(times(found.findings), ['2017-11-28T19:05:40Z', '2017-11-28T19:05:10Z']);
  const run = await findFindings(store.client, FINDINGS, {
    runId: 'run-b',
    since: '2017-11-28T00:00:00Z',
    until: '2017-11-28T19:59:59Z',
  });
  assert.equal(times(run.findings), ['2017-11-28T19:05:41Z']);
});

query('a limit keeps the newest and says how many matched', async ({ store }) => {
  const page = await findFindings(store.client, FINDINGS, { limit: 2 });
  assert.equal(times(page.findings), newestFirst(SEEDED).slice(0, 2));
  assert.is(page.total, SEEDED.length);
  assert.is(page.matches.length, SEEDED.length);
});

query.run();

// ---------------------------------------------------------------------------------------------

/** dynalite's index entry key ends in the first 24 bits of an MD5 of the item key (db/index.js hashPrefix). */
const dynaliteIndexHash = (id: string) => createHash('md5').update('Outliers').update(id).digest('hex').slice(0, 6);

const paging = withStore('findFindings on a run with many findings');

paging(
  "two findings of one run, detected in the same instant, whose ids clash in dynalite's index hash, are both listed",
  async ({ store }) => {
    // Found by search: dynalite keeps one index entry per (index key, 24-bit hash of the item key),
    // so on the old by-run index (runId, detectedAt) the second put overwrote the first's entry.
    // That is how `findings --run` lost 15 of 29,212 findings: a run's findings share a few
    // detectedAt values, and 29,212 ids hold about 25 such pairs.
    const a = aFinding({ eventID: 'f1d00000-0000-4000-8000-000000000375', runId: 'run-clash' });
    const b = aFinding({ eventID: 'f1d00000-0000-4000-8000-000000003519', runId: 'run-clash' });
    assert.is(dynaliteIndexHash(a.id), dynaliteIndexHash(b.id), 'the fixture ids no longer clash');
    const findings = new DynamoFindingsStore(store.client, FINDINGS);
    assert.is(await findings.putIfNew(a), 'created');
    assert.is(await findings.putIfNew(b), 'created');
    const page = await findFindings(store.client, FINDINGS, { runId: 'run-clash' });
    assert.equal(page.findings.map((f) => f.id).sort(), [a.id, b.id].sort());
  },
);

paging(
  'a run of 1,500 findings detected at one instant is listed whole, across pages, each once',
  async ({ store }) => {
    const findings = new DynamoFindingsStore(store.client, FINDINGS);
    const many = Array.from({ length: 1500 }, (_, i) =>
      aFinding({
        detector: 'instance-creds-used-outside-ec2',
        runId: 'run-big',
        eventTime: `2017-11-28T19:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:00Z`,
      }),
    );
    for (let i = 0; i < many.length; i += 50) await Promise.all(many.slice(i, i + 50).map((f) => findings.putIfNew(f)));
    const page = await findFindings(store.client, FINDINGS, { runId: 'run-big', limit: 10 });
    assert.is(page.total, 1500);
    assert.is(new Set(page.matches.map((f) => f.id)).size, 1500);
  },
);

paging.run();

// ---------------------------------------------------------------------------------------------

const review = withStore('reviewFindings');

review('ack records who, when and the note on the item, and moves it from open to acked', async ({ store }) => {
  const finding = aFinding({ eventTime: '2017-11-28T19:05:10Z' });
  await new DynamoFindingsStore(store.client, FINDINGS).putIfNew(finding);
  const [outcome] = await reviewFindings(store.client, FINDINGS, [finding.id], {
    status: 'acked',
    reviewedBy: 'alice',
    reviewedAt: '2026-12-02T06:00:00.000Z',
    reviewNote: 'ticket 42',
  });
  assert.ok(outcome && 'updated' in outcome);
  const stored = (await store.client.send(new GetCommand({ TableName: FINDINGS, Key: { id: finding.id } }))).Item;
  assert.equal(
    { ...stored },
    {
      ...finding,
      status: 'acked',
      reviewedBy: 'alice',
      reviewedAt: '2026-12-02T06:00:00.000Z',
      reviewNote: 'ticket 42',
    },
  );
  assert.equal(
    (await findFindings(store.client, FINDINGS, { status: 'acked' })).findings.map((f) => f.id),
    [finding.id],
  );
  assert.equal(
    (await findFindings(store.client, FINDINGS, { status: 'open' })).findings.map((f) => f.id),
    [],
  );
});

review('an unknown id is reported missing and no item is created for it', async ({ store }) => {
  const outcomes = await reviewFindings(store.client, FINDINGS, ['deleting-logs#no-such-event'], {
    status: 'resolved',
    reviewedBy: 'alice',
    reviewedAt: '2026-12-02T06:00:00.000Z',
  });
  assert.equal(outcomes, [{ id: 'deleting-logs#no-such-event', missing: true }]);
  assert.is(
    (await store.client.send(new GetCommand({ TableName: FINDINGS, Key: { id: 'deleting-logs#no-such-event' } }))).Item,
    undefined,
  );
});

review(
  "a resolved finding is never raised again: a later run's put is a duplicate and the review stays",
  async ({ store }) => {
    const findings = new DynamoFindingsStore(store.client, FINDINGS);
    const finding = aFinding({ runId: 'run-1', eventTime: '2017-11-28T19:06:00Z' });
    assert.is(await findings.putIfNew(finding), 'created');
    await reviewFindings(store.client, FINDINGS, [finding.id], {
      status: 'resolved',
      reviewedBy: 'alice',
      reviewedAt: '2026-12-02T06:00:00.000Z',
      reviewNote: 'expected',
    });
    assert.is(
      await findings.putIfNew({ ...finding, runId: 'run-2', detectedAt: '2026-12-03T00:00:00.000Z' }),
      'duplicate',
    );
    const stored = (await store.client.send(new GetCommand({ TableName: FINDINGS, Key: { id: finding.id } }))).Item;
    assert.is(stored?.status, 'resolved');
    assert.is(stored?.runId, 'run-1');
    assert.not.ok(
      (await findFindings(store.client, FINDINGS, { status: 'open' })).findings.some((f) => f.id === finding.id),
    );
  },
);

review.run();

// ---------------------------------------------------------------------------------------------

const principals = suite('principalMatches');

principals('matches the full ARN, the part the table shows, role/session, and identity types in any case', () => {
  const session = 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com';
  assert.ok(principalMatches(session, session));
  assert.ok(principalMatches(session, 'assumed-role/Admin/alice@example.com'));
  assert.ok(principalMatches(session, 'Admin/alice@example.com'));
  assert.ok(principalMatches(ROOT, 'root'));
  assert.ok(principalMatches('Root', 'root'));
  assert.not.ok(principalMatches(session, 'Admin'));
  assert.not.ok(principalMatches(ALICE, 'user/alic'));
  assert.not.ok(principalMatches('arn:aws:iam::123456789012:user/bob', 'user/alice'));
});

principals.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../functions/core/config.ts';
import { InvalidInputError } from '../../functions/core/errors.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { planRun, planStep } from '../../functions/plan/plan.ts';
import { discoverScopes } from '../../functions/plan/scopes.ts';
import { MemoryRuns, MemoryTrail } from '../helpers/fakes.ts';

const single = { trailPrefix: '', account: '123456789012' };
const org = { trailPrefix: '', orgId: 'o-a1b2c3d4e5', account: '210987654321' };
const at = (iso: string) => new Date(iso);
const key = (scope: typeof single | typeof org, region: string, stamp: string, id = 'x') =>
  buildLogKey(scope, region, at(stamp), id);
const config = { ...DEFAULT_CONFIG };

function trail(): MemoryTrail {
  return new MemoryTrail()
    .put(key(single, 'us-east-1', '2017-11-28T19:05:00Z', 'a'), 'x', at('2017-11-28T19:06:00Z'))
    .put(key(single, 'eu-west-1', '2017-11-28T23:55:00Z', 'b'), 'x', at('2017-11-29T00:07:00Z'))
    .put(key(org, 'us-east-1', '2017-11-29T00:05:00Z', 'c'), 'x', at('2017-11-29T00:06:00Z'))
    .put('AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/readme.txt', 'x', at('2017-11-28T19:06:00Z'))
    .put('AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2017/11/28/d.json.gz', 'x', at('2017-11-28T19:06:00Z'));
}

const discover = suite('discoverScopes');

discover('finds accounts and regions under both key layouts', async () => {
  const scopes = await discoverScopes(trail(), { trailPrefix: '', listConcurrency: 4 }, {});
  assert.equal(
    scopes.map((s) => `${s.scope.orgId ?? '-'}/${s.scope.account}/${s.region}`),
    ['-/123456789012/eu-west-1', '-/123456789012/us-east-1', 'o-a1b2c3d4e5/210987654321/us-east-1'],
  );
});

discover('honours account and region filters', async () => {
  const scopes = await discoverScopes(
    trail(),
    { trailPrefix: '', listConcurrency: 4 },
    { accounts: ['210987654321'], regions: ['us-east-1'] },
  );
  assert.equal(
    scopes.map((s) => s.scope.account),
    ['210987654321'],
  );
});

discover.run();

const plan = suite('planRun');

plan('a backfill takes the objects whose stamp is in [from, to), and skips non-log files', async () => {
  const runs = new MemoryRuns();
  const out = await planRun(
    { lister: trail(), runs, now: () => at('2026-11-30T00:00:00Z') },
    config,
    { mode: 'backfill', from: '2017-11-28T00:00:00Z', to: '2017-11-29T00:00:00Z' },
    'r1',
  );
  assert.equal(
    runs.keysOf('r1').sort(),
    [
      key(single, 'eu-west-1', '2017-11-28T23:55:00Z', 'b'),
      key(single, 'us-east-1', '2017-11-28T19:05:00Z', 'a'),
    ].sort(),
  );
  assert.equal(out.objects, { listed: 3, queued: 2, skipped: 1 });
  assert.equal(runs.plans.get('r1')?.skippedByReason, { 'not a .json.gz or .json log file': 1 });
});

plan(
  'a scheduled run takes what the ledger lacks from the schedule start, by stamp, whatever the file times',
  async () => {
    const runs = new MemoryRuns();
    runs.start = '2017-11-28T19:00:00Z';
    runs.ledger.add(key(single, 'us-east-1', '2017-11-28T19:05:00Z', 'a'));
    const lister = trail()
      // An old mtime on a recent stamp, and a file synced in long after its stamp: both are taken.
      .put(key(single, 'us-east-1', '2017-11-28T20:00:00Z', 'old-mtime'), 'x', at('2001-01-01T00:00:00Z'))
      .put(key(single, 'us-east-1', '2017-11-28T18:55:00Z', 'before-start'), 'x', at('2017-11-29T00:00:00Z'));
    const out = await planRun(
      { lister, runs, now: () => at('2017-11-29T00:10:00Z') },
      config,
      { mode: 'scheduled' },
      'r2',
    );
    assert.equal(
      runs.keysOf('r2').sort(),
      [
        key(single, 'eu-west-1', '2017-11-28T23:55:00Z', 'b'),
        key(single, 'us-east-1', '2017-11-28T20:00:00Z', 'old-mtime'),
        key(org, 'us-east-1', '2017-11-29T00:05:00Z', 'c'),
      ].sort(),
    );
    assert.ok(lister.listings.some((p) => p.endsWith('/2017/11/28/')));
    assert.equal(runs.plans.get('r2')?.window, { start: '2017-11-28T19:00:00Z', end: '2017-11-29T00:10:00.000Z' });
    assert.equal(out.objects, { listed: 5, queued: 3, skipped: 1, analyzedBefore: 1 });
    // Once complete, the schedule lists from 24 h (the delivery slack) before this run.
    assert.is(runs.plans.get('r2')?.nextStart, '2017-11-28T00:10:00.000Z');
  },
);

plan('a scheduled run narrowed to some accounts reads the same ledger, and says it is filtered', async () => {
  const runs = new MemoryRuns();
  runs.ledger.add(key(single, 'us-east-1', '2017-11-28T19:05:00Z', 'a'));
  await planRun(
    { lister: trail(), runs, now: () => at('2017-11-29T01:00:00Z') },
    { ...config, initialLookbackHours: null },
    { mode: 'scheduled', accounts: ['123456789012'] },
    'r7',
  );
  assert.equal(runs.keysOf('r7'), [key(single, 'eu-west-1', '2017-11-28T23:55:00Z', 'b')]);
  assert.is(runs.plans.get('r7')?.filtered, true);
});

plan(
  'the first scheduled run looks back the configured hours, stored so a failed first run does not move it; null takes everything',
  async () => {
    const runs = new MemoryRuns();
    await planRun(
      { lister: trail(), runs, now: () => at('2017-11-29T01:00:00Z') },
      { ...config, initialLookbackHours: 2, scheduleLeaseMinutes: 0 },
      { mode: 'scheduled' },
      'r3',
    );
    assert.is(runs.keysOf('r3').length, 2);
    assert.is(runs.start, '2017-11-28T23:00:00.000Z');
    // r3 never published: the next run, later, still starts where the first one did.
    await planRun(
      { lister: trail(), runs, now: () => at('2017-11-29T01:30:00Z') },
      { ...config, initialLookbackHours: 2, scheduleLeaseMinutes: 0 },
      { mode: 'scheduled' },
      'r3b',
    );
    assert.is(runs.keysOf('r3b').length, 2);
    const all = new MemoryRuns();
    await planRun(
      { lister: trail(), runs: all, now: () => at('2017-11-29T01:00:00Z') },
      { ...config, initialLookbackHours: null },
      { mode: 'scheduled' },
      'r4',
    );
    assert.is(all.keysOf('r4').length, 3);
  },
);

plan('a scheduled run plans nothing while another holds the lease, and takes it once expired', async () => {
  const runs = new MemoryRuns();
  const now = at('2017-11-29T01:00:00Z');
  const cfg = { ...config, initialLookbackHours: null, scheduleLeaseMinutes: 60 };
  await planRun({ lister: trail(), runs, now: () => now }, cfg, { mode: 'scheduled' }, 'first');
  const out = await planRun(
    { lister: trail(), runs, now: () => at('2017-11-29T01:59:00Z') },
    cfg,
    { mode: 'scheduled' },
    'second',
  );
  assert.equal(out.batches, []);
  assert.is(runs.plans.get('second')?.deferredTo, 'first');
  const later = await planRun(
    { lister: trail(), runs, now: () => at('2017-11-29T02:01:00Z') },
    cfg,
    { mode: 'scheduled' },
    'third',
  );
  assert.is(later.objects.queued, 3);
  assert.is(runs.lease?.runId, 'third');
});

plan('a Plan that fails gives the lease up', async () => {
  const runs = new MemoryRuns();
  runs.putPlan = async () => {
    throw new Error('store down');
  };
  await planRun(
    { lister: trail(), runs, now: () => at('2017-11-29T01:00:00Z') },
    config,
    { mode: 'scheduled' },
    'r8',
  ).then(
    () => assert.unreachable(),
    (error: Error) => assert.is(error.message, 'store down'),
  );
  assert.equal(runs.lease, { runId: 'r8', until: '' });
});

plan('splits the run into batches by object count and bytes, and returns only batch numbers', async () => {
  const lister = new MemoryTrail();
  for (let i = 0; i < 25; i++)
    lister.put(key(single, 'us-east-1', '2017-11-28T19:05:00Z', `k${String(i).padStart(2, '0')}`), 'x'.repeat(100));
  const runs = new MemoryRuns();
  const out = await planRun(
    { lister, runs, now: () => at('2026-01-01T00:00:00Z') },
    { ...config, batchMaxObjects: 10, batchMaxBytes: 1_000_000 },
    { mode: 'backfill', from: '2017-11-28T00:00:00Z', to: '2017-11-29T00:00:00Z' },
    'r5',
  );
  assert.equal(out.batches, [0, 1, 2]);
  assert.is(runs.keysOf('r5').length, 25);
  const bytesBound = await planRun(
    { lister, runs, now: () => at('2026-01-01T00:00:00Z') },
    { ...config, batchMaxObjects: 100, batchMaxBytes: 500 },
    { mode: 'backfill', from: '2017-11-28T00:00:00Z', to: '2017-11-29T00:00:00Z' },
    'r6',
  );
  assert.is(bytesBound.batches.length, 5);
});

plan.run();

const step = suite('planStep');

step('refuses invalid input before listing anything', async () => {
  const lister = trail();
  try {
    await planStep(
      { lister, runs: new MemoryRuns(), now: () => new Date() },
      config,
    )({ input: { mode: 'backfill', from: '2017-11-29', to: '2017-11-28' }, runId: 'r' });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, InvalidInputError);
  }
  assert.equal(lister.listings, []);
});

step.run();

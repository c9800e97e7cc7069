import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeWorkItem, type AnalyzePorts } from '../../functions/analyze/analyze.ts';
import { DEFAULT_CONFIG } from '../../functions/core/config.ts';
import type { RunStore } from '../../functions/core/ports.ts';
import { buildLogKey, type TrailScope } from '../../functions/core/trail-keys.ts';
import { deletingLogs } from '../../functions/detectors/deleting-logs.ts';
import { planRun } from '../../functions/plan/plan.ts';
import { ANOMALIES_METRIC, publishRun } from '../../functions/publish/publish.ts';
import { MemoryFindings, MemoryMetrics, MemoryRuns } from '../helpers/fakes.ts';
import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';
import { baseSeed, mulberry32, type Rng } from '../helpers/prng.ts';
import { TimelineTrail } from '../helpers/timeline-trail.ts';

/*
 * Property: across many consecutive scheduled runs, some of which fail half-way, every object
 * delivered to the trail is analysed by exactly one successful run. The trail, the runs and the
 * failures are drawn from a seeded PRNG; a failure message names the seed, and
 * `SCALE_SEED=<seed> SCALE_TIMELINES=1` replays that one timeline.
 *
 * Plan, Analyze and Publish are the real step functions over in-memory ports (fast); the state
 * machine around them is simulated: a run "crashes" by analysing only some of its batches and then
 * either never publishing or publishing with results missing, or by failing in Plan or in the
 * checkpoint write. A run is successful when Publish reports it complete and returns.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const config = { ...DEFAULT_CONFIG }; // settle 300 s, slack 24 h, first run looks back 24 h
const TIMELINES = Number(process.env.SCALE_TIMELINES ?? 50);
const SEED = baseSeed(20260131);

// Month and year ends: a timeline starts in the evening before and runs past midnight.
const MONTH_ENDS = ['2026-01-31', '2026-02-28', '2025-12-31', '2024-02-29', '2026-04-30'];
const ACCOUNTS: TrailScope[] = [
  { trailPrefix: '', account: '111111111111' },
  { trailPrefix: '', orgId: 'o-a1b2c3d4e5', account: '222222222222' },
  { trailPrefix: '', account: '333333333333' },
];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

interface Timeline {
  seed: number;
  /** The trail's key prefix before AWSLogs/ ('' or 'logs'); the config names it. */
  trailPrefix: string;
  trail: TimelineTrail;
  /** eventID of the one StopLogging record in each object, by key. */
  eventIdOf: Map<string, string>;
  firstRun: number;
  lastRun: number;
}

/** Files every 5 minutes per account and region, delivered late and out of order. */
function drawTimeline(seed: number, rng: Rng): Timeline {
  const trail = new TimelineTrail();
  const eventIdOf = new Map<string, string>();
  const trailPrefix = rng.pick(['', 'logs']);
  const scopes = rng
    .shuffle(ACCOUNTS)
    .slice(0, rng.int(1, 2))
    .map((scope) => ({ ...scope, trailPrefix }));
  const regions = rng.shuffle(REGIONS).slice(0, rng.int(1, 2));
  const start = Date.parse(`${rng.pick(MONTH_ENDS)}T00:00:00Z`) + rng.int(20 * 60, 23 * 60 + 40) * MINUTE;
  const stamps = rng.int(24, 80); // 2 to 6.7 hours of 5-minute stamps: always across midnight
  let serial = 0;
  for (const scope of scopes) {
    for (const region of regions) {
      for (let s = 0; s < stamps; s++) {
        const stamp = start - (start % (5 * MINUTE)) + s * 5 * MINUTE;
        const files = rng.chance(0.08) ? 0 : rng.chance(0.75) ? 1 : rng.int(2, 4); // several files may share a stamp
        for (let f = 0; f < files; f++) {
          // Mostly within 40 minutes, sometimes an hour or two, rarely up to 12 hours (well inside the 24 h slack).
          const delay = rng.chance(0.9) ? rng.int(0, 40 * 60) : rng.chance(0.7) ? rng.int(40 * 60, 3 * 3600) : rng.int(3 * 3600, 12 * 3600);
          let lastModified = stamp + delay * 1000;
          // Whole minutes sometimes, so LastModified often equals a window's end exactly.
          if (rng.chance(0.3)) lastModified -= lastModified % MINUTE;
          // LastModified is when the upload started; the object is listed once it finished.
          const visibleAt = lastModified + rng.int(0, 120) * 1000;
          const key = buildLogKey(scope, region, new Date(stamp), `${rng.id(12)}${serial++}`);
          const eventID = `evt-${seed}-${serial}`;
          const record = { eventVersion: '1.09', eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', eventID, eventTime: new Date(stamp).toISOString(), awsRegion: region, recipientAccountId: scope.account };
          trail.add({ key, body: Buffer.from(JSON.stringify({ Records: [record] })), lastModified: new Date(lastModified), visibleAt: new Date(visibleAt) });
          eventIdOf.set(key, eventID);
        }
      }
    }
  }
  const firstRun = start + rng.int(0, 30) * MINUTE;
  // Runs go on two hours past the last stamp, so hours-late files are picked up too.
  const lastRun = start + stamps * 5 * MINUTE + 2 * HOUR;
  return { seed, trailPrefix, trail, eventIdOf, firstRun, lastRun };
}

type Fate = 'ok' | 'crash-before-publish' | 'publish-incomplete' | 'plan-crash' | 'checkpoint-write-fails';

interface RunRecord {
  index: number;
  runId: string;
  fate: Fate;
  success: boolean;
  /** Keys read by Analyze in this run (a key twice if analysed twice). */
  analysed: string[];
}

function failing(runs: MemoryRuns, fate: Fate): RunStore {
  const store: RunStore = {
    putPlan: (plan) => runs.putPlan(plan),
    getPlan: (runId) => runs.getPlan(runId),
    putManifestBatch: (runId, batch, keys) => runs.putManifestBatch(runId, batch, keys),
    getManifestBatch: (runId, batch) => runs.getManifestBatch(runId, batch),
    putBatchResult: (runId, result) => runs.putBatchResult(runId, result),
    listBatchResults: (runId) => runs.listBatchResults(runId),
    getCheckpoint: () => runs.getCheckpoint(),
    advanceCheckpoint: (to) => runs.advanceCheckpoint(to),
  };
  if (fate === 'plan-crash') {
    store.putPlan = async () => {
      throw new Error('simulated Plan crash before the plan was stored');
    };
  }
  if (fate === 'checkpoint-write-fails') {
    store.advanceCheckpoint = async () => {
      throw new Error('simulated Publish crash before the checkpoint was written');
    };
  }
  return store;
}

/** Runs the scheduled runs of one timeline; returns what each analysed. */
async function simulate(timeline: Timeline, rng: Rng) {
  const { trail } = timeline;
  const runs = new MemoryRuns();
  const findings = new MemoryFindings();
  const metrics = new MemoryMetrics();
  const records: RunRecord[] = [];
  let unpublishedNew = 0;
  let clock = timeline.firstRun;
  let failStreak = 0;
  for (let index = 0; clock <= timeline.lastRun || !records.at(-1)?.success; index++) {
    trail.now = new Date(clock);
    const now = () => new Date(clock);
    const runId = `run-${String(index).padStart(4, '0')}`;
    const isLast = clock > timeline.lastRun;
    // About one run in five fails, sometimes several in a row; the run after the end always succeeds.
    let fate: Fate = 'ok';
    if (!isLast && (rng.chance(0.2) || (failStreak > 0 && rng.chance(0.5)))) {
      fate = rng.pick(['crash-before-publish', 'publish-incomplete', 'publish-incomplete', 'plan-crash', 'checkpoint-write-fails'] as const);
    }
    failStreak = fate === 'ok' ? 0 : failStreak + 1;
    const store = failing(runs, fate);
    const record: RunRecord = { index, runId, fate, success: false, analysed: [] };
    records.push(record);
    try {
      const plan = await planRun({ lister: trail, runs: store, now }, { ...config, trailPrefix: timeline.trailPrefix }, { mode: 'scheduled' }, runId);
      let batches = rng.shuffle(plan.batches); // work items finish in any order
      if (fate === 'publish-incomplete' && batches.length === 0) fate = record.fate = 'crash-before-publish';
      if (fate === 'crash-before-publish') batches = batches.slice(0, rng.int(0, batches.length));
      if (fate === 'publish-incomplete') batches = batches.slice(0, rng.int(0, batches.length - 1));
      const ports: AnalyzePorts = {
        runs: store,
        reader: { read: (key) => (record.analysed.push(key), trail.read(key)) },
        findings,
        aggregates: new MemoryAggregateStore(),
        now,
      };
      for (const batch of batches) await analyzeWorkItem(ports, { detectors: [deletingLogs], readConcurrency: 4, writeConcurrency: 4 }, { runId, batch });
      if (fate === 'crash-before-publish') {
        unpublishedNew += (await runs.listBatchResults(runId)).reduce((sum, r) => sum + r.findings.new, 0);
      } else {
        const summary = await publishRun({ runs: store, findings, metrics, now }, { namespace: 'TrailAuditor', detectorIds: [deletingLogs.meta.id] }, runId);
        record.success = summary.complete;
        if (fate === 'ok') assert.ok(summary.complete, `seed ${timeline.seed}: run ${runId} analysed every batch but is not complete`);
        if (fate === 'publish-incomplete') assert.not.ok(summary.complete, `seed ${timeline.seed}: run ${runId} missed batches but says complete`);
      }
    } catch (error) {
      if (fate !== 'plan-crash' && fate !== 'checkpoint-write-fails') throw error;
    }
    clock += rng.int(5 * 60, 20 * 60) * 1000; // EventBridge every 5 to 20 minutes, with jitter
    if (rng.chance(0.3)) clock -= clock % MINUTE;
  }
  const published = metrics.published.reduce(
    (sum, p) => sum + (p.data.find((d) => d.name === ANOMALIES_METRIC && d.dimensions === undefined)?.value ?? 0),
    0,
  );
  return { records, runs, findings, lastClock: records.length > 0 ? Date.parse(runs.plans.get(records.at(-1)!.runId)!.startedAt) : 0, counted: published + unpublishedNew };
}

const property = suite('scheduled runs over a delivery timeline');

property(`analyse every delivered object in exactly one successful run (${TIMELINES} seeded timelines)`, async () => {
  let objects = 0;
  let runCount = 0;
  let failedRuns = 0;
  let reanalysed = 0;
  for (let t = 0; t < TIMELINES; t++) {
    const seed = SEED + t;
    const rng = mulberry32(seed);
    const timeline = drawTimeline(seed, rng);
    const { records, runs, findings, lastClock, counted } = await simulate(timeline, rng);
    const end = lastClock - config.settleSeconds * 1000;
    const due = timeline.trail.all().filter((o) => o.lastModified.getTime() <= end);

    const bySuccess = new Map<string, string[]>();
    const firstFailure = new Map<string, number>();
    for (const run of records) {
      for (const key of run.analysed) {
        if (run.success) bySuccess.set(key, [...(bySuccess.get(key) ?? []), run.runId]);
        else if (!firstFailure.has(key)) firstFailure.set(key, run.index);
      }
    }
    const missing = due.filter((o) => !bySuccess.has(o.key)).map((o) => `${o.key} (LastModified ${o.lastModified.toISOString()})`);
    const twice = [...bySuccess].filter(([, ids]) => ids.length > 1).map(([key, ids]) => `${key} by ${ids.join(', ')}`);
    const dueKeys = new Set(due.map((o) => o.key));
    const early = [...bySuccess.keys()].filter((key) => !dueKeys.has(key));
    // A key a failed run analysed is taken again by a later successful run (never an earlier one).
    const notRedone = [...firstFailure]
      .filter(([key, index]) => {
        const success = records.find((r) => r.success && r.analysed.includes(key));
        return !success || success.index < index;
      })
      .map(([key]) => key);
    const message = `seed ${seed} (replay: SCALE_SEED=${seed} SCALE_TIMELINES=1)`;
    assert.equal({ missing: missing.slice(0, 5), twice: twice.slice(0, 5), early: early.slice(0, 5), notRedone: notRedone.slice(0, 5) }, { missing: [], twice: [], early: [], notRedone: [] }, message);
    assert.is(runs.checkpoint, new Date(end).toISOString(), `${message}: checkpoint after the last run`);
    // One finding per object's event, stored once, and counted once across every run's metrics
    // (failed runs' partial counts included): none lost, none counted twice.
    assert.equal([...findings.items.values()].map((f) => f.eventID).sort(), due.map((o) => timeline.eventIdOf.get(o.key)!).sort(), `${message}: findings`);
    assert.is(counted, findings.items.size, `${message}: AnomaliesDetected over all runs vs findings stored`);

    objects += due.length;
    runCount += records.length;
    failedRuns += records.filter((r) => !r.success).length;
    reanalysed += firstFailure.size;
  }
  // The timelines did exercise failures and re-analysis, not only the happy path.
  assert.ok(failedRuns > TIMELINES, `only ${failedRuns} failed runs`);
  assert.ok(reanalysed > 0, 'no object was analysed by a failed run');
  if (process.env.SCALE_VERBOSE) console.log(`  ${TIMELINES} timelines: ${objects} objects, ${runCount} runs (${failedRuns} failed), ${reanalysed} objects re-analysed after a failure`);
});

property.run();

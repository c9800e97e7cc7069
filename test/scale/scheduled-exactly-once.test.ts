import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_CONFIG } from '../../cli/local/audit.ts';
import { analyzeWorkItem, type AnalyzePorts } from '../../functions/analyze/analyze.ts';
import { DEFAULT_CONFIG, type AuditConfig } from '../../functions/core/config.ts';
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
 * Property: across many consecutive scheduled runs, some failing in any step, some overlapping,
 * every object of the trail is analysed exactly once. "Analysed" means: read in a work item that
 * reported, by a run whose Publish then recorded it in the ledger (its correlation completed).
 * A failure is: an object never recorded; one recorded by two runs, or read again after it was
 * recorded; one recorded by a run that did not read it. Timelines, runs and failures come from a
 * seeded PRNG; a failure names the seed, and `SCALE_SEED=<seed> SCALE_TIMELINES=1` replays it.
 *
 * Timelines are adversarial for file times: delivery hours late and out of order, listings that
 * see a file hours after its S3 time (a sync that lags), S3 or file times years old on recent
 * stamps, a folder copied in all at once (every file inside what used to be the 5-minute settle
 * window), and objects that are not logs at all (poison: reported once, never taken again).
 * Two configurations: the deployed one (lists 24 h before the last complete run; a lease keeps
 * runs apart) and the local one (lists the whole folder; one process per store).
 *
 * Plan, Analyze and Publish are the real step functions over in-memory ports; the state machine
 * around them is simulated: a run fails in Plan, loses work items, dies before Publish, fails in
 * Publish half-way through the ledger, or reaches Publish with `correlated: false`.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TIMELINES = Number(process.env.SCALE_TIMELINES ?? 25);
const SEED = baseSeed(20260131);
// Small work items, so that a run has several and a failed one is a part of the run.
const MODES: Record<'deployed' | 'local', AuditConfig> = {
  deployed: { ...DEFAULT_CONFIG, batchMaxObjects: 6 },
  local: { ...LOCAL_CONFIG, batchMaxObjects: 6 },
};

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
  trailPrefix: string;
  trail: TimelineTrail;
  accounts: string[];
  /** eventID of the one StopLogging record of each log object, by key (poison objects have none). */
  eventIdOf: Map<string, string>;
  firstRun: number;
  /** Every object is visible by then. */
  lastVisible: number;
}

function drawTimeline(seed: number, rng: Rng, mode: keyof typeof MODES): Timeline {
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
  let lastVisible = start;
  const add = (scope: TrailScope, region: string, stamp: number, lastModified: number, visibleAt: number) => {
    const key = buildLogKey(scope, region, new Date(stamp), `${rng.id(12)}${serial++}`);
    let body: Buffer;
    if (rng.chance(0.02))
      body = Buffer.from('not a log'); // poison: Analyze reports it, the batch still reports
    else {
      const eventID = `evt-${seed}-${serial}`;
      const record = {
        eventVersion: '1.09',
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'StopLogging',
        eventID,
        eventTime: new Date(stamp).toISOString(),
        awsRegion: region,
        recipientAccountId: scope.account,
      };
      body = Buffer.from(JSON.stringify({ Records: [record] }));
      eventIdOf.set(key, eventID);
    }
    trail.add({ key, body, lastModified: new Date(lastModified), visibleAt: new Date(visibleAt) });
    lastVisible = Math.max(lastVisible, visibleAt);
  };
  for (const scope of scopes) {
    for (const region of regions) {
      for (let s = 0; s < stamps; s++) {
        const stamp = start - (start % (5 * MINUTE)) + s * 5 * MINUTE;
        const files = rng.chance(0.08) ? 0 : rng.chance(0.75) ? 1 : rng.int(2, 4); // several files may share a stamp
        for (let f = 0; f < files; f++) {
          // Mostly within 40 minutes, sometimes an hour or two, rarely up to 12 hours.
          const delay = rng.chance(0.9)
            ? rng.int(0, 40 * 60)
            : rng.chance(0.7)
              ? rng.int(40 * 60, 3 * 3600)
              : rng.int(3 * 3600, 12 * 3600);
          let lastModified = stamp + delay * 1000;
          let visibleAt = lastModified + rng.int(0, 120) * 1000;
          // A sync that lags: the file appears hours after its S3 time.
          if (rng.chance(0.15)) visibleAt += rng.int(0, 6 * 3600) * 1000;
          // A file time years before the stamp (a copy that kept an old time, a touched file).
          if (rng.chance(0.1)) lastModified = Date.parse('2001-01-01T00:00:00Z') + rng.int(0, 1e9) * 1000;
          add(scope, region, stamp, lastModified, visibleAt);
        }
      }
    }
  }
  // A folder copied in at once during the timeline, every file's time within a minute of the copy.
  if (rng.chance(0.8)) {
    const copiedAt = start + rng.int(10, stamps * 5 + 60) * MINUTE;
    const scope = rng.pick(scopes);
    const region = rng.pick(regions);
    // Locally any old day (a sample from 2017); deployed, stamps the delivery slack still covers.
    const day = mode === 'local' ? Date.UTC(2017, 10, 28, 19) : Math.max(start, copiedAt - 20 * HOUR);
    for (let i = rng.int(3, 10); i > 0; i--) {
      const stamp = day + rng.int(0, mode === 'local' ? 60 : (copiedAt - day) / MINUTE) * MINUTE;
      add(scope, region, stamp - (stamp % (5 * MINUTE)), copiedAt - rng.int(0, 60) * 1000, copiedAt);
    }
  }
  return {
    seed,
    trailPrefix,
    trail,
    accounts: scopes.map((s) => s.account),
    eventIdOf,
    firstRun: start + rng.int(0, 30) * MINUTE,
    lastVisible,
  };
}

type Fate = 'ok' | 'narrowed' | 'plan-crash' | 'items-fail' | 'crash-before-publish' | 'publish-crash' | 'uncorrelated';
const FAILURES: Fate[] = [
  'plan-crash',
  'items-fail',
  'items-fail',
  'crash-before-publish',
  'publish-crash',
  'uncorrelated',
];

interface RunRecord {
  index: number;
  runId: string;
  fate: Fate;
  /** Keys read by Analyze in work items that reported. */
  read: Set<string>;
  /** Keys this run's Publish wrote to the ledger. */
  recorded: Set<string>;
  published: boolean;
}

class Simulation {
  readonly runs = new MemoryRuns();
  readonly findings = new MemoryFindings();
  readonly metrics = new MemoryMetrics();
  readonly records: RunRecord[] = [];
  /** When each key first entered the ledger: the index of the run that recorded it. */
  readonly recordedBy = new Map<string, number>();
  readonly problems: string[] = [];

  constructor(
    readonly timeline: Timeline,
    readonly config: AuditConfig,
    readonly rng: Rng,
  ) {}

  /** The run's view of the store, failing where its fate says. */
  private store(record: RunRecord): RunStore {
    const runs = this.runs;
    const store: RunStore = {
      putPlan: (plan) => runs.putPlan(plan),
      getPlan: (runId) => runs.getPlan(runId),
      putManifestBatch: (runId, batch, keys) => runs.putManifestBatch(runId, batch, keys),
      getManifestBatch: (runId, batch) => runs.getManifestBatch(runId, batch),
      putBatchResult: (runId, result) => runs.putBatchResult(runId, result),
      listBatchResults: (runId) => runs.listBatchResults(runId),
      analyzedIn: (folder, names) => runs.analyzedIn(folder, names),
      markAnalyzed: (keys) => runs.markAnalyzed(keys),
      scheduleStart: (initial) => runs.scheduleStart(initial),
      advanceScheduleStart: (to) => runs.advanceScheduleStart(to),
      acquireLease: (runId, now, until) => runs.acquireLease(runId, now, until),
      releaseLease: (runId) => runs.releaseLease(runId),
    };
    store.markAnalyzed = async (keys) => {
      if (record.fate === 'publish-crash' && this.rng.chance(0.5)) {
        const part = keys.slice(0, this.rng.int(0, keys.length));
        await this.ledger(record, part);
        throw new Error('simulated Publish crash half-way through the ledger');
      }
      await this.ledger(record, keys);
    };
    if (record.fate === 'plan-crash') {
      let writes = 0;
      store.putManifestBatch = async (...args) => {
        if (++writes > 1) throw new Error('simulated Plan crash');
        return runs.putManifestBatch(...args);
      };
      store.putPlan = async () => {
        throw new Error('simulated Plan crash');
      };
    }
    return store;
  }

  private async ledger(record: RunRecord, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      record.recorded.add(key);
      if (!this.recordedBy.has(key)) this.recordedBy.set(key, record.index);
    }
    await this.runs.markAnalyzed(keys);
  }

  /** One scheduled run at `clock`; returns whether it was complete. */
  async run(clock: number, fate: Fate, overlap: boolean): Promise<boolean> {
    const record: RunRecord = {
      index: this.records.length,
      runId: `run-${String(this.records.length).padStart(4, '0')}`,
      fate,
      read: new Set(),
      recorded: new Set(),
      published: false,
    };
    this.records.push(record);
    const { trail } = this.timeline;
    trail.now = new Date(clock);
    const now = () => new Date(clock);
    const store = this.store(record);
    // A key read again after a run recorded it was analysed twice.
    const recordedBefore = new Set(this.recordedBy.keys());
    const input =
      fate === 'narrowed'
        ? { mode: 'scheduled' as const, accounts: [this.rng.pick(this.timeline.accounts)] }
        : { mode: 'scheduled' as const };
    let plan: Awaited<ReturnType<typeof planRun>>;
    try {
      plan = await planRun(
        { lister: trail, runs: store, now },
        { ...this.config, trailPrefix: this.timeline.trailPrefix },
        input,
        record.runId,
      );
    } catch (error) {
      if (fate !== 'plan-crash') throw error;
      return false;
    }
    // Another scheduled run starting while this one is under way (the schedule fired again).
    if (overlap) await this.run(clock + MINUTE, 'ok', false);
    trail.now = new Date(clock);
    let batches = this.rng.shuffle(plan.batches); // work items finish in any order
    if (fate === 'items-fail' || fate === 'crash-before-publish')
      batches = batches.slice(0, this.rng.int(0, Math.max(0, batches.length - 1)));
    const ports: AnalyzePorts = {
      runs: store,
      reader: trail,
      findings: this.findings,
      aggregates: new MemoryAggregateStore(),
      now,
    };
    for (const batch of batches) {
      await analyzeWorkItem(
        ports,
        { detectors: [deletingLogs], readConcurrency: 4, writeConcurrency: 4 },
        { runId: record.runId, batch },
      );
      for (const key of await this.runs.getManifestBatch(record.runId, batch)) {
        if (recordedBefore.has(key))
          this.problems.push(
            `${key} read again by ${record.runId} after ${this.records[this.recordedBy.get(key)!]!.runId} recorded it`,
          );
        record.read.add(key);
      }
    }
    if (fate === 'crash-before-publish') return false;
    try {
      const summary = await publishRun(
        { runs: store, findings: this.findings, metrics: this.metrics, now },
        { namespace: 'TrailAuditor', detectorIds: [deletingLogs.meta.id] },
        record.runId,
        fate !== 'uncorrelated',
      );
      record.published = true;
      if (fate === 'ok' || fate === 'narrowed')
        assert.ok(
          summary.complete,
          `seed ${this.timeline.seed}: ${record.runId} analysed every work item but is not complete`,
        );
      return summary.complete && fate === 'ok' && !this.runs.plans.get(record.runId)?.deferredTo;
    } catch (error) {
      if (fate !== 'publish-crash') throw error;
      return false;
    }
  }
}

async function simulate(timeline: Timeline, config: AuditConfig, rng: Rng): Promise<Simulation> {
  const sim = new Simulation(timeline, config, rng);
  let clock = timeline.firstRun;
  let failStreak = 0;
  // Runs go on until one complete, unfiltered run has started after every object was visible.
  for (let done = false; !done; ) {
    const closing = clock > timeline.lastVisible;
    let fate: Fate = 'ok';
    if (!closing && (rng.chance(0.25) || (failStreak > 0 && rng.chance(0.5))))
      fate = rng.chance(0.2) ? 'narrowed' : rng.pick(FAILURES);
    failStreak = fate === 'ok' || fate === 'narrowed' ? 0 : failStreak + 1;
    // Runs overlap only where two can: deployed, with the lease; locally the store's lock forbids it.
    const overlap = config.scheduleLeaseMinutes > 0 && !closing && rng.chance(0.1);
    const complete = await sim.run(clock, fate, overlap);
    done = closing && complete;
    clock += rng.int(5 * 60, 20 * 60) * 1000; // EventBridge every 5 to 20 minutes, with jitter
    if (rng.chance(0.3)) clock -= clock % MINUTE;
    assert.ok(sim.records.length < 2_000, `seed ${timeline.seed}: no complete run after ${sim.records.length} runs`);
  }
  return sim;
}

const property = suite('scheduled runs over an adversarial delivery timeline');

for (const mode of ['deployed', 'local'] as const) {
  property(`${mode}: every object is analysed exactly once (${TIMELINES} seeded timelines)`, async () => {
    const config = MODES[mode];
    const totals = { objects: 0, runs: 0, failed: 0, redone: 0, deferred: 0 };
    for (let t = 0; t < TIMELINES; t++) {
      const seed = SEED + t + (mode === 'local' ? 100_000 : 0);
      const rng = mulberry32(seed);
      const timeline = drawTimeline(seed, rng, mode);
      const sim = await simulate(timeline, config, rng);
      const all = timeline.trail.all().map((o) => o.key);

      const never = all.filter((key) => !sim.recordedBy.has(key));
      const byRuns = new Map<string, string[]>();
      for (const run of sim.records)
        for (const key of run.recorded) byRuns.set(key, [...(byRuns.get(key) ?? []), run.runId]);
      const twice = [...byRuns]
        .filter(([, ids]) => ids.length > 1)
        .map(([key, ids]) => `${key} recorded by ${ids.join(', ')}`);
      // Recorded only what a reported work item read, and nothing when correlation did not complete.
      const unread = sim.records.flatMap((run) =>
        [...run.recorded]
          .filter((key) => !run.read.has(key) || run.fate === 'uncorrelated')
          .map((key) => `${key} recorded by ${run.runId} (${run.fate}) unread`),
      );
      const message = `${mode} seed ${seed} (replay: SCALE_SEED=${seed} SCALE_TIMELINES=1)`;
      assert.equal(
        { never: never.slice(0, 5), twice: [...twice, ...sim.problems].slice(0, 5), unread: unread.slice(0, 5) },
        { never: [], twice: [], unread: [] },
        message,
      );
      // One finding per log object's event, stored once, counted once across every run's metrics
      // (the findings of runs that never published counted where they were stored).
      assert.equal(
        [...sim.findings.items.values()].map((f) => f.eventID).sort(),
        [...timeline.eventIdOf.values()].sort(),
        `${message}: findings`,
      );
      const published = sim.metrics.published.reduce(
        (sum, p) => sum + (p.data.find((d) => d.name === ANOMALIES_METRIC && !d.dimensions)?.value ?? 0),
        0,
      );
      const silent = new Set(sim.records.filter((r) => !r.published).map((r) => r.runId));
      const unpublished = [...sim.findings.items.values()].filter((f) => silent.has(f.runId)).length;
      assert.is(
        published + unpublished,
        sim.findings.items.size,
        `${message}: AnomaliesDetected over all runs vs findings stored`,
      );

      totals.objects += all.length;
      totals.runs += sim.records.length;
      totals.failed += sim.records.filter((r) => r.fate !== 'ok' && r.fate !== 'narrowed').length;
      totals.deferred += [...sim.runs.plans.values()].filter((p) => p.deferredTo).length;
      totals.redone += sim.records
        .filter((r) => r.fate !== 'ok' && r.fate !== 'narrowed')
        .reduce((n, r) => n + [...r.read].filter((k) => !r.recorded.has(k)).length, 0);
    }
    // The timelines did exercise failures, re-analysis and (deployed) overlapping runs.
    assert.ok(totals.failed > TIMELINES, `only ${totals.failed} failed runs`);
    assert.ok(totals.redone > 0, 'no object read by a failed run was taken again');
    if (config.scheduleLeaseMinutes > 0) assert.ok(totals.deferred > 0, 'no run found another holding the lease');
    if (process.env.SCALE_VERBOSE)
      console.log(
        `  ${mode}: ${TIMELINES} timelines, ${totals.objects} objects, ${totals.runs} runs (${totals.failed} failed, ${totals.deferred} deferred to a lease holder), ${totals.redone} reads redone after a failure`,
      );
  });
}

property.run();

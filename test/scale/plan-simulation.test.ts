import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../functions/core/config.ts';
import type { RunPlan, RunStore, TrailLister } from '../../functions/core/ports.ts';
import type { BatchResult, PlanOutput } from '../../functions/core/payloads.ts';
import { planRun } from '../../functions/plan/plan.ts';
import { OrgTrailLister, SEVENTEEN_REGIONS, type OrgTrailShape } from '../helpers/org-trail.ts';

/*
 * Plan over an organisation trail of 100 accounts x 17 regions, a 30-day backfill, with the
 * default config (500 objects a batch). The real figure is about 300 files per account, region
 * and day (15.3 million objects); generating and parsing that many keys takes about a minute on
 * two cores, so by default each day folder holds FILES_PER_DAY files (the folder count, key shape
 * and listing calls are those of the real trail) and the payload figures are extrapolated
 * linearly to 300 a day: the object count, and so the batch count, scales with files per day,
 * while nothing else in Plan's output does. `PLAN_SIM_FILES_PER_DAY=300` runs the full size.
 */

const FULL_FILES_PER_DAY = 300;
const FILES_PER_DAY = Number(process.env.PLAN_SIM_FILES_PER_DAY ?? 4);
const shape: OrgTrailShape = {
  orgId: 'o-a1b2c3d4e5',
  accounts: 100,
  regions: SEVENTEEN_REGIONS,
  filesPerDay: FILES_PER_DAY,
  objectSize: 8_000,
};
const DAYS = 30;
const input = { mode: 'backfill', from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' } as const;
const config = { ...DEFAULT_CONFIG };

/** Step Functions' limit on a state's input or output (UTF-8 bytes). */
const STATE_LIMIT = 256 * 1024;
/** DynamoDB's item size limit. */
const ITEM_LIMIT = 400 * 1024;

/** What the state holds after Plan: the execution input with Plan's output at `$.plan` (ResultPath). */
function stateBytes(output: PlanOutput): number {
  return Buffer.byteLength(JSON.stringify({ ...input, plan: output }));
}

/** The state after Plan if the run had `batches` batches (all else in the output is fixed-size). */
function stateBytesWith(output: PlanOutput, batches: number): number {
  return stateBytes({ ...output, batches: Array.from({ length: batches }, (_, i) => i) });
}

/** The most batches one execution's state can carry. */
function maxBatchesPerExecution(output: PlanOutput): number {
  let low = 0;
  let high = 200_000;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (stateBytesWith(output, middle) <= STATE_LIMIT) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Executions a backfill of `objects` needs when each can carry `maxBatches` batches. */
function executionsNeeded(objects: number, maxBatches: number): number {
  return Math.ceil(Math.ceil(objects / config.batchMaxObjects) / maxBatches);
}

/** A run store that keeps only the sizes of what Plan writes, never the keys. */
class SizingRuns implements RunStore {
  batches = 0;
  objects = 0;
  maxKeys = 0;
  maxRawBytes = 0;
  maxItemBytes = 0;
  oversized: number[] = [];
  plan: RunPlan | undefined;
  async putPlan(plan: RunPlan) {
    this.plan = plan;
  }
  async getPlan() {
    return this.plan;
  }
  async putManifestBatch(_runId: string, batch: number, keys: string[]) {
    const raw = JSON.stringify(keys);
    this.batches++;
    this.objects += keys.length;
    this.maxKeys = Math.max(this.maxKeys, keys.length);
    this.maxRawBytes = Math.max(this.maxRawBytes, Buffer.byteLength(raw));
    // The raw JSON bounds every item (asserted below); gzip a sample of the batches for the
    // stored size, as DynamoRunStore writes it: pk, sk, the gzip of the array, the TTL attribute.
    if (batch % 8 === 0 || Buffer.byteLength(raw) >= this.maxRawBytes) {
      const item =
        'pk'.length +
        `RUN#${'x'.repeat(48)}`.length +
        'sk'.length +
        'MANIFEST#000000'.length +
        'keys'.length +
        gzipSync(raw).byteLength +
        'expiresAt'.length +
        21;
      this.maxItemBytes = Math.max(this.maxItemBytes, item);
      if (item > ITEM_LIMIT) this.oversized.push(batch);
    }
  }
  async getManifestBatch(): Promise<string[]> {
    throw new Error('not kept');
  }
  async putBatchResult(_runId: string, _result: BatchResult) {}
  async listBatchResults() {
    return [];
  }
  // Backfills never read the ledger; scheduled runs ask it about each page's names (see below).
  ledgerCalls = 0;
  maxNamesAsked = 0;
  /** Entries a ranged ledger Query would read: the ledger's names between the least and greatest asked. */
  ledgerEntriesRead = 0;
  constructor(private readonly ledgeredBefore = '') {}
  async analyzedIn(_folder: string, names: readonly string[]) {
    this.ledgerCalls++;
    this.maxNamesAsked = Math.max(this.maxNamesAsked, names.length);
    // Analysed: every key stamped before `ledgeredBefore` (the stamp in the name, YYYYMMDDTHHmmZ).
    const held = names.filter((name) => stampOf(name) < this.ledgeredBefore);
    this.ledgerEntriesRead += held.length;
    return new Set(held);
  }
  async markAnalyzed() {}
  async scheduleStart(): Promise<string | null> {
    return null;
  }
  async advanceScheduleStart() {}
  async acquireLease() {
    return null;
  }
  async releaseLease() {}
}

const stampOf = (name: string) => /_(\d{8}T\d{4}Z)_/.exec(name)?.[1] ?? '';

/** global.gc, exposed at run time (the test command has no --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const report = (line: string) => process.env.SCALE_VERBOSE && console.log(`  ${line}`);

const simulation = suite('planRun over a 100-account, 17-region organisation trail');

simulation(
  'a 30-day backfill stays within the state, item and memory limits and lists with bounded concurrency',
  async () => {
    const gc = collector();
    gc();
    const before = process.memoryUsage().heapUsed;
    // Two figures: the heap in use (garbage included, which depends on when V8 chooses to collect,
    // so on whatever ran before in this process) sampled every 100 listings, and the live heap,
    // measured after a forced collection every 10,000 listings: what the planner really holds.
    let peak = before;
    let livePeak = before;
    let calls = 0;
    const lister = new OrgTrailLister(shape, () => {
      if (++calls % 100 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      if (calls % 10_000 === 0) {
        gc();
        livePeak = Math.max(livePeak, process.memoryUsage().heapUsed);
      }
    });
    const runs = new SizingRuns();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const output = await planRun(
      { lister, runs, now: () => new Date('2026-02-01T00:00:00Z') },
      config,
      input,
      'backfill-2026-01-01-1a2b3c4d',
    );
    const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
    const wallMs = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    gc();
    const after = process.memoryUsage().heapUsed;

    // Every object of the range was listed and queued, in full batches.
    const objects = shape.accounts * shape.regions.length * DAYS * FILES_PER_DAY;
    assert.is(lister.listObjectsCalls, shape.accounts * shape.regions.length * DAYS);
    assert.is(output.objects.queued, objects);
    assert.is(runs.objects, objects);
    assert.is(output.batches.length, Math.ceil(objects / config.batchMaxObjects));
    assert.is(runs.maxKeys, config.batchMaxObjects);

    // Listing concurrency never exceeds the configured bound (and is used).
    assert.ok(
      lister.maxInFlight <= config.listConcurrency,
      `max ${lister.maxInFlight} listings in flight, limit ${config.listConcurrency}`,
    );
    assert.ok(lister.maxInFlight > 1, 'listings ran one at a time');

    // The state after Plan, at this size and extrapolated to 300 files a day (15.3 million objects).
    const fullObjects = (objects / FILES_PER_DAY) * FULL_FILES_PER_DAY;
    const fullBatches = Math.ceil(fullObjects / config.batchMaxObjects);
    const maxBatches = maxBatchesPerExecution(output);
    assert.ok(stateBytes(output) < STATE_LIMIT, `state after Plan ${stateBytes(output)} B`);
    assert.ok(
      stateBytesWith(output, fullBatches) < STATE_LIMIT,
      `state after Plan at full size ${stateBytesWith(output, fullBatches)} B`,
    );
    // One execution carries a 30-day backfill of the full organisation; what a longer range needs
    // (the CLI starts one execution whatever the range: a 90-day backfill must be split).
    assert.is(executionsNeeded(fullObjects, maxBatches), 1);
    assert.is(executionsNeeded(fullObjects * 3, maxBatches), 3);

    // Each manifest batch fits a DynamoDB item, gzip or not.
    assert.equal(runs.oversized, []);
    assert.ok(runs.maxRawBytes < ITEM_LIMIT, `largest manifest batch ${runs.maxRawBytes} B before gzip`);

    // The planner holds no key list: its live heap stays small whatever the object count.
    assert.ok(livePeak - before < 200 * MB, `peak live heap growth ${mb(livePeak - before)} MB`);
    assert.ok(after - before < 20 * MB, `retained heap growth ${mb(after - before)} MB`);

    report(
      `${objects} objects (${FILES_PER_DAY}/day) in ${Math.round(wallMs)} ms wall, ${Math.round(cpuMs)} ms CPU with the fake lister's own work and the forced collections (${((cpuMs * 1000) / objects).toFixed(2)} µs/object; ${Math.round((cpuMs * fullObjects) / objects / 1000)} s CPU extrapolated to ${fullObjects})`,
    );
    report(
      `${lister.listObjectsCalls} listObjects + ${lister.listFoldersCalls} listFolders calls, at most ${lister.maxInFlight} in flight`,
    );
    report(
      `state after Plan: ${stateBytes(output)} B now (${output.batches.length} batches), ${stateBytesWith(output, fullBatches)} B at ${fullBatches} batches; max ${maxBatches} batches (${maxBatches * config.batchMaxObjects} objects) per execution`,
    );
    report(`manifest batch: ${runs.maxRawBytes} B JSON, ${runs.maxItemBytes} B as an item (gzip)`);
    report(
      `heap: before ${mb(before)} MB, live peak +${mb(livePeak - before)} MB, peak in use (garbage included) +${mb(peak - before)} MB, retained after +${mb(after - before)} MB`,
    );
  },
);

simulation(
  "planning holds memory per day folder only while listing: a 500-account organisation's 30-day backfill fits the Plan function",
  async () => {
    // 500 accounts x 17 regions x 30 days = 255,000 day folders. The Plan function has 512 MB
    // (cdk/constructs/audit-functions.ts); the planner may use half of it. Measured with 100
    // accounts (51,000 empty day folders, all queued behind a gate) and extrapolated linearly to 500
    // (checked once at 255,000 folders: +336 MB, 1,380 B a folder). Plan starts a p-limit task per
    // folder up front, so this fails today.
    const gc = collector();
    const big = new OrgTrailLister({ ...shape, accounts: 100, filesPerDay: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lister: TrailLister = {
      listFolders: (prefix) => big.listFolders(prefix),
      // Empty day folders: the listing waits for the gate, then finds nothing.
      async *listObjects() {
        await gate;
        yield* [];
      },
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    const planning = planRun(
      { lister, runs: new SizingRuns(), now: () => new Date('2026-02-01T00:00:00Z') },
      config,
      input,
      'backfill-large-org',
    );
    // Wait until every listing is queued behind the gate.
    while (big.listFoldersCalls < 1 + 1 + 100) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const perFolder = (process.memoryUsage().heapUsed - before) / 51_000;
    const queued = perFolder * 255_000;
    release();
    const output = await planning;
    assert.is(output.objects.queued, 0);
    report(`day folders queued: ${Math.round(perFolder)} B each, +${mb(queued)} MB live heap at 255,000`);
    assert.ok(
      queued < 256 * MB,
      `live heap +${mb(queued)} MB with 255,000 day-folder listings queued (${Math.round(perFolder)} B each); the Plan function has 512 MB`,
    );
  },
);

simulation(
  'a scheduled run 15 minutes after the last lists two days of folders, asks the ledger once a page and queues only the new',
  async () => {
    // The previous complete run started at 18:00; this one at 18:15 lists from 24 h (the delivery
    // slack) before 18:00. The ledger holds every key stamped before 18:00 on the 31st.
    const lister = new OrgTrailLister(shape);
    const runs = new SizingRuns('20260131T1800Z');
    runs.scheduleStart = async () => '2026-01-30T18:00:00.000Z';
    const output = await planRun(
      { lister, runs, now: () => new Date('2026-01-31T18:15:00Z') },
      config,
      { mode: 'scheduled' },
      'scheduled-large-org',
    );
    const folders = shape.accounts * shape.regions.length * 2;
    assert.is(lister.listObjectsCalls, folders);
    assert.is(runs.ledgerCalls, folders * Math.ceil(FILES_PER_DAY / 1000));
    assert.ok(runs.maxNamesAsked <= 1000, `${runs.maxNamesAsked} names in one ledger lookup`);
    // Stamps from 18:00 on the 30th to 18:15 on the 31st, of which only those from 18:00 on the 31st are new.
    const stampsPerFile = 288 / FILES_PER_DAY;
    const inWindow = (d: number, fromMinute: number) =>
      Array.from({ length: FILES_PER_DAY }, (_, i) => Math.floor(i * stampsPerFile) * 5).filter(
        (m) => m >= fromMinute && (d === 30 || m <= 18 * 60 + 15),
      ).length;
    const scopes = shape.accounts * shape.regions.length;
    assert.is(output.objects.queued, scopes * inWindow(31, 18 * 60));
    assert.is(
      output.objects.analyzedBefore,
      scopes * (inWindow(30, 18 * 60) + inWindow(31, 0) - inWindow(31, 18 * 60)),
    );
    report(
      `scheduled run: ${lister.listObjectsCalls} listObjects + ${lister.listFoldersCalls} listFolders calls, ${runs.ledgerCalls} ledger queries reading ${runs.ledgerEntriesRead} entries (${FILES_PER_DAY} files/day), ${output.objects.queued} queued`,
    );
  },
);

simulation.run();

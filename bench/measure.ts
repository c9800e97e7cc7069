/**
 * One measurement of the benchmark, in its own process so that each figure has a clean heap and
 * its own peak RSS: `node --import tsx bench/measure.ts <floor|floor2|analyze|largest|largest-warm> <corpus dir>`.
 * Reads the corpus only. Prints one JSON line.
 */
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { FolderTrail } from '../functions/adapters/folder-trail.ts';
import { MemoryFindings, MemoryMetrics, MemoryRuns } from '../functions/adapters/memory.ts';
import { MemoryAggregateStore } from '../functions/adapters/memory-aggregates.ts';
import { composeSteps, loadRuleSet } from '../functions/compose.ts';
import { DEFAULT_CONFIG } from '../functions/core/config.ts';
import { CORRELATION_SHARDS } from '../functions/core/correlation.ts';
import { countCorpus } from './corpus.ts';

const [mode, dir] = process.argv.slice(2);
if (!mode || !dir) throw new Error('usage: measure.ts <floor|floor2|analyze|largest|largest-warm> <corpus dir>');

// Plain JavaScript, evaluated in each thread of the two-thread floor.
const FLOOR_WORKER = `
const { readFileSync } = require('node:fs');
const { gunzipSync } = require('node:zlib');
const { parentPort, workerData } = require('node:worker_threads');
const { files, next } = workerData;
const totals = { records: 0, gzipBytes: 0, jsonBytes: 0 };
for (let i = Atomics.add(next, 0, 1); i < files.length; i = Atomics.add(next, 0, 1)) {
  const body = readFileSync(files[i]);
  const text = gunzipSync(body).toString('utf8');
  totals.records += JSON.parse(text).Records.length;
  totals.gzipBytes += body.byteLength;
  totals.jsonBytes += text.length;
}
parentPort.postMessage(totals);
`;

const keys = (await countCorpus(dir)).keys;
const files = keys.map((key) => `${dir}/${key}`);
const start = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let records = 0;
let gzipBytes = 0;
let jsonBytes = 0;
let findings = 0;
let stateWrites = 0;
let stateWriteUnits = 0;
const byDetector: Record<string, number> = {};
let suppressed = 0;
let rssBefore = process.memoryUsage().rss;

if (mode === 'floor') {
  // The floor: read, gunzip and JSON.parse, nothing else, one file after another.
  for (const file of files) {
    const body = await readFile(file);
    const text = gunzipSync(body).toString('utf8');
    const doc = JSON.parse(text) as { Records: unknown[] };
    records += doc.Records.length;
    gzipBytes += body.byteLength;
    jsonBytes += text.length;
  }
} else if (mode === 'floor2') {
  // The same floor in two worker threads that take the next file from a shared counter.
  const next = new Int32Array(new SharedArrayBuffer(4));
  const totals = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<{ records: number; gzipBytes: number; jsonBytes: number }>((resolve, reject) => {
          const worker = new Worker(FLOOR_WORKER, { eval: true, workerData: { files, next } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  for (const t of totals) {
    records += t.records;
    gzipBytes += t.gzipBytes;
    jsonBytes += t.jsonBytes;
  }
} else {
  // The steps as the composition root builds them, over the in-memory adapters: the Analyze and
  // Correlate code a Lambda runs, with the store's cost taken out.
  const rules = await loadRuleSet({ suppressionsFile: new URL('./suppressions.yml', import.meta.url).pathname });
  const trail = new FolderTrail(dir);
  let chosen = keys;
  // Objects per work item: 500, as the default plan makes them; one for the memory figures.
  let perItem = 500;
  if (mode === 'largest' || mode === 'largest-warm') {
    // One Analyze invocation over the largest file alone: its peak memory against its JSON size.
    // Warm: after one Analyze over the smallest file, as a warm Lambda container meets it (code
    // compiled, heap grown for ordinary work), so the growth is what the file itself costs.
    const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
    const largest = keys[sizes.indexOf(Math.max(...sizes))]!;
    chosen = mode === 'largest' ? [largest] : [keys[sizes.indexOf(Math.min(...sizes))]!, largest];
    perItem = 1;
  }
  const runs = new MemoryRuns();
  const store = new MemoryFindings();
  const aggregates = new MemoryAggregateStore();
  const steps = composeSteps({
    trail: { lister: trail, reader: trail },
    stores: { runs, findings: store, counter: store, aggregates },
    metrics: new MemoryMetrics(),
    rules,
    config: { ...DEFAULT_CONFIG, readConcurrency: 4, writeConcurrency: 16 },
    now: () => new Date(),
  });
  // Work items of 500 objects, as the default plan makes them: state writes are per key per work item.
  for (let start = 0, batch = 0; start < chosen.length; start += perItem, batch++) {
    await runs.putManifestBatch('bench', batch, chosen.slice(start, start + perItem));
  }
  // Growth is measured from here: code, detectors and rules are loaded, nothing is parsed yet.
  rssBefore = process.memoryUsage().rss;
  for (let batch = 0; batch * perItem < chosen.length; batch++) {
    const result = await steps.Analyze({ runId: 'bench', batch });
    if (mode === 'largest-warm' && batch === 0) {
      // The warm-up: not counted; growth is measured from after it.
      rssBefore = process.memoryUsage().rss;
      continue;
    }
    records += result.records;
    jsonBytes += result.bytes;
    findings += result.findings.new;
    suppressed += result.findings.suppressed;
    for (const [id, n] of Object.entries(result.byDetector)) byDetector[id] = (byDetector[id] ?? 0) + n;
  }
  // The correlation stage over the same in-memory store.
  for (let shard = 0; shard < CORRELATION_SHARDS; shard++) {
    const result = await steps.Correlate({ runId: 'bench', shard });
    findings += result.findings.new;
    suppressed += result.findings.suppressed;
    for (const [id, n] of Object.entries(result.byDetector)) byDetector[id] = (byDetector[id] ?? 0) + n;
  }
  stateWrites = aggregates.writes;
  stateWriteUnits = aggregates.writeUnits;
  for (const f of mode === 'largest-warm' ? chosen.slice(1) : chosen) gzipBytes += (await stat(`${dir}/${f}`)).size;
}

const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    mode,
    files: mode.startsWith('largest') ? 1 : files.length,
    records,
    gzipBytes,
    jsonBytes,
    findings,
    stateWrites,
    stateWriteUnits,
    byDetector,
    suppressed,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    // maxRSS is in KB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBeforeBytes: rssBefore,
  }),
);

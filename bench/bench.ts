/**
 * `npm run bench [-- --mb 200 | --corpus DIR] [--rounds 3]`: measures, in alternating rounds,
 * (a) the floor: read + gunzip + JSON.parse only, one core, and the same in two threads;
 * (b) Analyze's core with all detectors and an in-memory store, one core;
 * (c) a whole local `audit` (compiled CLI, real state machine, dynalite, worker threads) on all cores;
 * (d) DuckDB doing the workshop's two detections as SQL over the same files, two threads.
 * It reports medians as ratios against (a), and findings by detector so that a speed-up that
 * drops findings shows. One-core figures run pinned with `taskset -c 0` where it exists, as a
 * 1-vCPU Lambda (1,769 MB) would run them.
 *
 * The bench never writes into a folder it is given: `--corpus DIR` is counted and read only; a
 * generated corpus goes to a new folder under bench/.corpus/ that the bench creates itself.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countCorpus, ensureCorpus, writeLargeObject } from './corpus.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    corpus: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'skip-audit': { type: 'boolean', default: false },
    'skip-duckdb': { type: 'boolean', default: false },
    // Another CLI entry (e.g. an older checkout's cli/bin.js) measured in the same rounds as (c).
    'compare-cli': { type: 'string' },
  },
});
const megabytes = Number(values.mb);
if (!Number.isFinite(megabytes) || megabytes <= 0) throw new Error(`--mb must be a positive number, got ${values.mb}`);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);

interface Result {
  stateWrites?: number;
  stateWriteUnits?: number;
  seconds: number;
  records: number;
  peakRssBytes?: number;
  byDetector?: Record<string, number>;
  suppressed?: number;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
        else done({ stdout, stderr });
      },
    );
  });
}
const lastLine = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, any>;

const pin = existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', '-c', '0'] : [];
async function measure(
  mode: string,
  pinned: boolean,
  dir = corpusDir,
): Promise<Result & { jsonBytes: number; rssBeforeBytes: number }> {
  const [command, ...rest] = [
    ...(pinned ? pin : []),
    process.execPath,
    '--import',
    'tsx',
    'bench/measure.ts',
    mode,
    dir,
  ];
  return lastLine((await run(command!, rest)).stdout) as Result & { jsonBytes: number; rssBeforeBytes: number };
}

async function audit(entry: string): Promise<Result> {
  const store = await mkdtemp(join(tmpdir(), 'trail-auditor-bench-'));
  try {
    const time = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'peak-rss-kb=%M'] : [];
    const args = [
      ...time,
      process.execPath,
      entry,
      'audit',
      '--trail',
      corpusDir,
      '--store',
      store,
      '--suppressions',
      'bench/suppressions.yml',
      '--json',
    ];
    const started = process.hrtime.bigint();
    const out = await run(args[0]!, args.slice(1));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = lastLine(out.stdout);
    if (summary.status !== 'SUCCEEDED') throw new Error(`the audit did not succeed: ${out.stdout}`);
    const rss = /peak-rss-kb=(\d+)/.exec(out.stderr);
    return {
      seconds,
      records: summary.records,
      byDetector: summary.findings.byDetector,
      suppressed: summary.findings.suppressed,
      ...(rss ? { peakRssBytes: Number(rss[1]) * 1024 } : {}),
    };
  } finally {
    await rm(store, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

// The corpus: a given folder is counted first and only read; otherwise the bench's own.
let corpusDir: string;
if (values.corpus) {
  corpusDir = resolve(values.corpus);
  if (!existsSync(corpusDir)) fail(`--corpus ${corpusDir} does not exist`);
  console.log(`Corpus: ${corpusDir} (given: counted, then only read)`);
} else {
  corpusDir = join(root, 'bench', '.corpus', `${megabytes}mb`);
  console.log(`Corpus: ${corpusDir} (generated by the bench on first use, then reused)`);
  await ensureCorpus(corpusDir, megabytes).catch((error: Error) => fail(error.message));
}
const corpus = await countCorpus(corpusDir);
if (corpus.keys.length === 0)
  fail(`${corpusDir} holds no CloudTrail log files (AWSLogs/.../CloudTrail/<region>/YYYY/MM/DD/*.json.gz)`);
const records = corpus.generated ? `, ${corpus.generated.records.toLocaleString('en-US')} records` : '';
console.log(
  `  ${corpus.keys.length.toLocaleString('en-US')} log files${records}, ${fmt(mb(corpus.gzipBytes))} MB gzip, largest file ${fmt(mb(corpus.largestGzipBytes), 2)} MB gzip`,
);
const cores = availableParallelism();
console.log(
  `Machine: ${cores} cores, Node.js ${process.version}; one-core figures ${pin.length ? 'pinned with taskset -c 0' : 'not pinned (no taskset)'}; ${rounds} rounds\n`,
);

// The audit runs the compiled CLI, as installed; build it from the current sources first.
await run(process.execPath, ['scripts/build.mjs']);

const figures: { id: string; label: string; once: () => Promise<Result> }[] = [
  { id: 'a', label: '(a) floor: read + gunzip + JSON.parse, 1 core', once: () => measure('floor', true) },
  { id: 'a2', label: '(a2) the same floor, 2 worker threads', once: () => measure('floor2', false) },
  { id: 'b', label: '(b) Analyze core, all detectors, memory store, 1 core', once: () => measure('analyze', true) },
];
if (!values['skip-audit'])
  figures.push({
    id: 'c',
    label: `(c) local audit, ${cores} cores (compiled CLI, dynalite)`,
    once: () => audit('cli/bin.js'),
  });
if (values['compare-cli'])
  figures.push({
    id: 'c0',
    label: "(c') the same audit, --compare-cli",
    once: () => audit(resolve(values['compare-cli']!)),
  });
if (!values['skip-duckdb']) {
  figures.push({
    id: 'd',
    label: '(d) DuckDB read_json + the 2 workshop rules in SQL, 2 thr.',
    once: async () =>
      lastLine((await run(process.execPath, ['--import', 'tsx', 'bench/duckdb.ts', corpusDir, '2'])).stdout) as Result,
  });
}

// Alternating rounds: every figure once per round, each round starting one figure later, so that
// a slow spell on a shared machine falls on different figures.
const results = new Map<string, Result[]>(figures.map((f) => [f.id, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < figures.length; i++) {
    const figure = figures[(i + round) % figures.length]!;
    const result = await figure.once();
    results.get(figure.id)!.push(result);
    process.stderr.write(`  round ${round + 1}: ${figure.id} ${fmt(result.seconds, 2)} s\n`);
  }
}
const largest = await measure('largest', true);
const warm = await measure('largest-warm', true);
// A file near the 32 MB limit, where the data outweighs V8's own young generation: the corpus's
// first records in one object, written to a folder of the bench's own and removed after.
const bigDir = await mkdtemp(join(tmpdir(), 'trail-auditor-bench-big-'));
const big = await writeLargeObject(corpusDir, corpus.keys, bigDir, 30 * 1024 * 1024)
  .then(() => measure('largest', true, bigDir))
  .finally(() => rm(bigDir, { recursive: true, force: true }));

const floorSeconds = median(results.get('a')!.map((r) => r.seconds));
console.log(`\nmedian of ${rounds} rounds            seconds (min-max)      records/s   vs floor (a)   peak RSS MB`);
for (const figure of figures) {
  const list = results.get(figure.id)!;
  const seconds = median(list.map((r) => r.seconds));
  const range = `${fmt(Math.min(...list.map((r) => r.seconds)), 2)}-${fmt(Math.max(...list.map((r) => r.seconds)), 2)}`;
  const rss = Math.max(...list.map((r) => r.peakRssBytes ?? 0));
  console.log(
    `${figure.label.padEnd(60)} ${fmt(seconds, 2).padStart(7)} (${range.padStart(11)}) ${fmt(list[0]!.records / seconds, 0).padStart(10)} ${`${fmt(floorSeconds / seconds, 2)}x`.padStart(10)} ${rss ? fmt(mb(rss), 0).padStart(12) : '           -'}`,
  );
}
const ratio = (id: string) =>
  results.has(id) ? floorSeconds / median(results.get(id)!.map((r) => r.seconds)) : undefined;
console.log(
  `\ntargets: (b) >= 1.0x: ${fmt(ratio('b')!, 2)}x;  (c) >= 1.4x: ${ratio('c') ? `${fmt(ratio('c')!, 2)}x` : '-'};  (c) vs (d): ${ratio('c') && ratio('d') ? `${fmt(ratio('c')! / ratio('d')!, 2)}x DuckDB's throughput` : '-'}`,
);
const growth = largest.peakRssBytes! - largest.rssBeforeBytes;
console.log(
  `one Analyze over the largest file (${fmt(mb(largest.jsonBytes), 2)} MB JSON): RSS grew ${fmt(mb(growth), 1)} MB = ${fmt(growth / largest.jsonBytes, 2)} x its JSON size (target < 3; the process's own baseline, ${fmt(mb(largest.rssBeforeBytes), 0)} MB of Node.js and code, not counted)`,
);
const warmGrowth = warm.peakRssBytes! - warm.rssBeforeBytes;
console.log(
  `  the same after one Analyze over the smallest file (a warm container: code compiled): RSS grew ${fmt(mb(warmGrowth), 1)} MB = ${fmt(warmGrowth / warm.jsonBytes, 2)} x`,
);
const bigGrowth = big.peakRssBytes! - big.rssBeforeBytes;
console.log(
  `  one Analyze over a ${fmt(mb(big.jsonBytes), 1)} MB object of the corpus's records (near the 32 MB limit): RSS grew ${fmt(mb(bigGrowth), 1)} MB = ${fmt(bigGrowth / big.jsonBytes, 2)} x`,
);
const analyzed = results.get('b')!.at(-1)!;
console.log(
  `state writes (correlation aggregates and touched-key lists): ${analyzed.stateWrites ?? 0} for ${analyzed.records.toLocaleString('en-US')} records = ${fmt(((analyzed.stateWrites ?? 0) / analyzed.records) * 1e6, 0)} per million events (target <= 1,000), ${fmt(((analyzed.stateWriteUnits ?? 0) / analyzed.records) * 1e6, 0)} write units per million`,
);

// Findings by detector, from the last round of each figure: equal columns mean no speed-up dropped any.
const columns = ['b', 'c', 'c0', 'd'].filter((id) => results.has(id));
const last = (id: string) => results.get(id)!.at(-1)!;
const ids = [...new Set(columns.flatMap((id) => Object.keys(last(id).byDetector ?? {})))].sort();
console.log(`\nfindings by detector      ${columns.map((id) => `(${id})`.padStart(9)).join('')}`);
for (const id of ids)
  console.log(`  ${id.padEnd(44)}${columns.map((c) => String(last(c).byDetector?.[id] ?? '-').padStart(9)).join('')}`);
console.log(
  `  ${'suppressed (counted, not stored)'.padEnd(44)}${columns.map((c) => String(last(c).suppressed ?? '-').padStart(9)).join('')}`,
);
console.log(
  `(the workshop's instance-creds-used-outside-ec2 is counted, not stored, in (b) and (c) by bench/suppressions.yml; (d) counts its matches)`,
);

// Cost in AWS from (b): Analyze at 1,769 MB has one vCPU, which is what (b) measured.
const analyzeSeconds = median(results.get('b')!.map((r) => r.seconds));
const totalRecords = results.get('b')![0]!.records;
const secondsPerMillion = (analyzeSeconds / totalRecords) * 1e6;
const recordsPerFile = totalRecords / corpus.keys.length;
console.log(
  `\nAWS estimate per million CloudTrail events (Analyze at 1,769 MB, S3 GET latency not included): ${fmt(secondsPerMillion, 1)} s = ${fmt(secondsPerMillion * 1.769, 1)} GB-s, ` +
    `about ${fmt(1e6 / (recordsPerFile * 500), 2)} Analyze invocations (500 objects of ${fmt(recordsPerFile, 0)} records each)`,
);

/**
 * `npm run bench [-- --mb 200]`: generates (once) a deterministic synthetic trail and measures, in
 * one run, (a) the floor: read + gunzip + JSON.parse only, one core; (b) Analyze's core with all
 * detectors and an in-memory store, one core; (c) a whole local `audit` (real state machine,
 * dynalite, worker threads) on all cores. One-core figures run pinned with `taskset -c 0` where
 * it exists, as a 1-vCPU Lambda (1,769 MB) would run them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureCorpus } from './corpus.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    corpus: { type: 'string' },
    'skip-audit': { type: 'boolean', default: false },
  },
});
const megabytes = Number(values.mb);
if (!Number.isFinite(megabytes) || megabytes <= 0) throw new Error(`--mb must be a positive number, got ${values.mb}`);
const corpusDir = values.corpus ?? join(root, 'bench', '.corpus', `${megabytes}mb`);

interface Measurement {
  records: number;
  gzipBytes: number;
  jsonBytes: number;
  findings: number;
  stateWrites?: number;
  stateWriteUnits?: number;
  seconds: number;
  peakRssBytes: number;
  rssBeforeBytes: number;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_NO_WARNINGS: '1' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

const pin = existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', '-c', '0'] : [];
async function measure(mode: string): Promise<Measurement> {
  const [command, ...rest] = [...pin, process.execPath, '--import', 'tsx', 'bench/measure.ts', mode, corpusDir];
  const out = await run(command!, rest);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`Corpus: ${corpusDir} (about ${megabytes} MB of gzip; generated once, then reused)`);
const corpus = await ensureCorpus(corpusDir, megabytes);
console.log(`  ${corpus.files} files, ${corpus.records.toLocaleString('en-US')} records, ${fmt(mb(corpus.gzipBytes))} MB gzip, largest file ${fmt(mb(corpus.largestJsonBytes), 2)} MB of JSON`);
console.log(`Machine: ${availableParallelism()} cores, Node.js ${process.version}; one-core figures ${pin.length ? 'pinned with taskset -c 0' : 'not pinned (no taskset)'}\n`);

const floor = await measure('floor');
const analyze = await measure('analyze');
const largest = await measure('largest');

let audit: { seconds: number; peakRssBytes?: number; records: number; findings: number } | undefined;
if (!values['skip-audit']) {
  const store = await mkdtemp(join(tmpdir(), 'trail-auditor-bench-'));
  try {
    const time = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'peak-rss-kb=%M'] : [];
    const started = process.hrtime.bigint();
    const args = [...time, process.execPath, 'cli/bin.js', 'audit', '--trail', corpusDir, '--store', store, '--suppressions', 'bench/suppressions.yml', '--json'];
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(args[0]!, args.slice(1), { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve({ stdout, stderr }))),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { records: number; findings: { new: number }; status: string };
    if (summary.status !== 'SUCCEEDED') throw new Error(`the audit did not succeed: ${out.stdout}`);
    const rss = /peak-rss-kb=(\d+)/.exec(out.stderr);
    audit = { seconds, records: summary.records, findings: summary.findings.new, ...(rss ? { peakRssBytes: Number(rss[1]) * 1024 } : {}) };
  } finally {
    await rm(store, { recursive: true, force: true });
  }
}

const rows: [string, number, number, number, number | undefined][] = [
  ['(a) floor: read + gunzip + JSON.parse, 1 core', floor.seconds, floor.records, floor.gzipBytes, floor.peakRssBytes],
  ['(b) Analyze core, all detectors + store, 1 core', analyze.seconds, analyze.records, analyze.gzipBytes, analyze.peakRssBytes],
];
if (audit) rows.push([`(c) local audit, ${availableParallelism()} cores (state machine, dynalite)`, audit.seconds, audit.records, corpus.gzipBytes, audit.peakRssBytes]);
console.log('figure                                                      seconds   records/s    MB/s gz  MB/s JSON   peak RSS MB');
for (const [name, seconds, records, gzip, rss] of rows) {
  const json = corpus.gzipBytes ? (gzip / corpus.gzipBytes) * floor.jsonBytes : 0;
  console.log(
    `${name.padEnd(58)} ${fmt(seconds, 2).padStart(8)} ${fmt(records / seconds, 0).padStart(11)} ${fmt(mb(gzip) / seconds).padStart(10)} ${fmt(mb(json) / seconds).padStart(10)} ${rss ? fmt(mb(rss), 0).padStart(13) : '            -'}`,
  );
}
console.log(`\nratio (b)/(a), throughput: ${fmt(floor.seconds / analyze.seconds, 2)}   (target >= 0.9)`);
if (audit) console.log(`ratio (c)/(a), throughput: ${fmt(floor.seconds / audit.seconds, 2)}   (target >= 1.4)`);
const growth = largest.peakRssBytes - largest.rssBeforeBytes;
console.log(
  `one Analyze over the largest file (${fmt(mb(largest.jsonBytes), 2)} MB JSON): RSS grew ${fmt(mb(growth), 1)} MB = ${fmt(growth / largest.jsonBytes, 2)} x its JSON size (target < 3; the process's own baseline, ${fmt(mb(largest.rssBeforeBytes), 0)} MB of Node.js and code, not counted)`,
);
console.log(`state writes (correlation aggregates and touched-key lists): ${analyze.stateWrites ?? 0} for ${analyze.records.toLocaleString('en-US')} records = ${fmt(((analyze.stateWrites ?? 0) / analyze.records) * 1e6, 0)} per million events (target <= 1,000), ${fmt(((analyze.stateWriteUnits ?? 0) / analyze.records) * 1e6, 0)} write units per million`);
console.log(`findings stored: (b) ${analyze.findings}, (c) ${audit?.findings ?? '-'}; the workshop's instance rule is suppressed (bench/suppressions.yml), as recommended in production`);

// Cost in AWS from (b): Analyze at 1,769 MB has one vCPU, which is what (b) measured.
const secondsPerMillion = (analyze.seconds / analyze.records) * 1e6;
const recordsPerFile = corpus.records / corpus.files;
const invocationsPerMillion = 1e6 / (recordsPerFile * 500);
console.log(
  `\nAWS estimate per million CloudTrail events (Analyze at 1,769 MB, S3 GET latency not included): ${fmt(secondsPerMillion, 1)} s = ${fmt(secondsPerMillion * 1.769, 1)} GB-s, ` +
    `about ${fmt(invocationsPerMillion, 2)} Analyze invocations (500 objects of ${fmt(recordsPerFile, 0)} records each)`,
);

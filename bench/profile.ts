/**
 * `npm run profile [-- --mb 200 | --corpus DIR] [--threads N] [--keep]`: runs one local audit of
 * the bench corpus with the compiled CLI under `--cpu-prof` (the main thread and every worker
 * write a profile) and the runner's phase marks (TRAIL_AUDITOR_TIMING), then prints where the
 * CPU time of each thread went, as a Markdown table, and the wall-clock phases of the run.
 * Samples are attributed to the innermost frame that belongs to a known part (detectors, parse,
 * the SDK...), with the compiled bundles mapped back to their sources through the source maps.
 * The profiles stay in the printed folder with --keep (open them in Chrome DevTools).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countCorpus, ensureCorpus } from './corpus.ts';
import { CATEGORIES, categoryOf, type Category, type Frame } from './profile-categories.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    corpus: { type: 'string' },
    threads: { type: 'string', default: String(availableParallelism()) },
    keep: { type: 'boolean', default: false },
    // Also list the functions with the most self time, by source file.
    top: { type: 'string', default: '0' },
  },
});

const corpusDir = values.corpus ? resolve(values.corpus) : join(root, 'bench', '.corpus', `${Number(values.mb)}mb`);
if (!values.corpus) await ensureCorpus(corpusDir, Number(values.mb));
const corpus = await countCorpus(corpusDir);
if (corpus.keys.length === 0) throw new Error(`${corpusDir} holds no CloudTrail log files`);

const work = await mkdtemp(join(tmpdir(), 'trail-auditor-profile-'));
const marksFile = join(work, 'marks.jsonl');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<string>((done, fail) =>
    execFile(
      process.execPath,
      args,
      { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (error, stdout, stderr) => (error ? fail(new Error(stderr || error.message)) : done(stdout)),
    ),
  );

await run(['scripts/build.mjs']);
const started = Number(process.hrtime.bigint() / 1000n);
const stdout = await run(
  [
    '--cpu-prof',
    `--cpu-prof-dir=${join(work, 'profiles')}`,
    'cli/bin.js',
    'audit',
    '--trail',
    corpusDir,
    '--store',
    join(work, 'store'),
    '--suppressions',
    'bench/suppressions.yml',
    '--threads',
    values.threads,
    '--json',
  ],
  { TRAIL_AUDITOR_TIMING: marksFile },
);
const ended = Number(process.hrtime.bigint() / 1000n);
const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: string; records: number };

interface Mark {
  us: number;
  thread: number;
  event: string;
}
const marks = (await readFile(marksFile, 'utf8'))
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Mark);
const markOf = (thread: number, event: string) => marks.find((m) => m.thread === thread && m.event === event)?.us;

interface Profile {
  nodes: { id: number; callFrame: Frame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

// Source maps of the compiled bundles, so a frame in dist/cli/*.js is named by its source file.
const maps = new Map<string, SourceMap | null>();
async function sourceOf(url: string, line: number, column: number): Promise<string | undefined> {
  if (!url.includes('/dist/cli/')) return undefined;
  if (!maps.has(url)) {
    const path = `${fileURLToPath(url)}.map`;
    maps.set(url, existsSync(path) ? new SourceMap(JSON.parse(await readFile(path, 'utf8'))) : null);
  }
  const entry = maps.get(url)?.findEntry(line, column) as { originalSource?: string } | undefined;
  return entry?.originalSource;
}

const selfTime = new Map<string, number>();

/** CPU microseconds of one thread by category; samples before `readyAt` count as start-up. */
async function attribute(profile: Profile, readyAt: number | undefined): Promise<Map<Category, number>> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const own = new Map<number, Category | undefined>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    own.set(node.id, categoryOf({ ...f, source: await sourceOf(f.url, f.lineNumber, f.columnNumber) }));
  }
  const resolved = new Map<number, Category>();
  const categoryOfNode = (id: number): Category => {
    const known = resolved.get(id);
    if (known) return known;
    let category: Category = 'other';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const c = own.get(at);
      if (c) {
        category = c;
        break;
      }
    }
    resolved.set(id, category);
    return category;
  };
  const totals = new Map<Category, number>();
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const source = (await sourceOf(f.url, f.lineNumber, f.columnNumber)) ?? f.url;
    names.set(
      node.id,
      `${f.functionName || '(anonymous)'} ${source.replace(/^.*?(functions|cli|node_modules)\//, '$1/')}`,
    );
  }
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    let category = categoryOfNode(profile.samples[i]!);
    if (category !== 'idle' && readyAt !== undefined && t < readyAt) category = 'startup';
    totals.set(category, (totals.get(category) ?? 0) + span);
    const name = names.get(profile.samples[i]!)!;
    selfTime.set(name, (selfTime.get(name) ?? 0) + span);
  }
  return totals;
}

const files = (await readdir(join(work, 'profiles'))).filter((f) => f.endsWith('.cpuprofile')).sort();
const columns: { name: string; totals: Map<Category, number>; wall: number }[] = [];
for (const file of files) {
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile
  const thread = Number(file.split('.')[4]);
  const profile = JSON.parse(await readFile(join(work, 'profiles', file), 'utf8')) as Profile;
  const ready = thread === 0 ? markOf(0, 'store-open') : markOf(thread, 'worker-ready');
  columns.push({
    name: thread === 0 ? 'main' : `worker ${thread}`,
    totals: await attribute(profile, ready),
    wall: profile.endTime - profile.startTime,
  });
}

const s = (us: number) => (us / 1e6).toFixed(2);
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)} %`;
const allThreads = columns.reduce((sum, c) => sum + c.wall, 0);
console.log(
  `Audit of ${corpus.keys.length} files, ${summary.records.toLocaleString('en-US')} records, ${summary.status}: ${s(ended - started)} s wall, ${values.threads} worker threads; profiles in ${work}\n`,
);
console.log(`| part | ${columns.map((c) => `${c.name} (s)`).join(' | ')} | all threads (s) | share |`);
console.log(`|---|${columns.map(() => '---:').join('|')}|---:|---:|`);
for (const category of CATEGORIES) {
  const cells = columns.map((c) => c.totals.get(category.id) ?? 0);
  const sum = cells.reduce((a, b) => a + b, 0);
  if (sum === 0) continue;
  console.log(`| ${category.label} | ${cells.map(s).join(' | ')} | ${s(sum)} | ${pct(sum, allThreads)} |`);
}
console.log(`| thread lifetime | ${columns.map((c) => s(c.wall)).join(' | ')} | ${s(allThreads)} | 100 % |`);

// Wall-clock phases of the run, from the main thread's marks.
const at = (event: string) => markOf(0, event);
const phases: [string, number | undefined, number | undefined][] = [
  ['start-up: node, CLI modules, rules, store open', started, at('store-open')],
  ['until Plan starts (interpreter loaded)', at('store-open'), at('plan:start')],
  ['Plan: list the trail, store the manifest', at('plan:start'), at('plan:end')],
  ['Map: Analyze work items', at('plan:end'), at('correlate:start') ?? at('publish:start')],
  ['Map: Correlate shards', at('correlate:start'), at('publish:start')],
  ['Publish', at('publish:start'), at('publish:end')],
  ['after Publish: alarms, close store and pool, exit', at('publish:end'), ended],
];
console.log('\n| wall-clock phase | seconds |\n|---|---:|');
for (const [name, from, to] of phases)
  if (from !== undefined && to !== undefined) console.log(`| ${name} | ${s(to - from)} |`);
const workersReady = marks.filter((m) => m.event === 'worker-ready').map((m) => s(m.us - started));
const poolStart = at('pool-start');
console.log(
  `\npool started at ${poolStart ? s(poolStart - started) : '-'} s, workers ready at ${workersReady.join(', ')} s after launch; work items: ${marks.filter((m) => m.event === 'analyze:start').length} in workers`,
);
const top = Number(values.top);
if (top > 0) {
  console.log(`\n| function, all threads (self time) | seconds |\n|---|---:|`);
  for (const [name, us] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${name} | ${s(us)} |`);
}
if (!values.keep) await rm(work, { recursive: true, force: true });

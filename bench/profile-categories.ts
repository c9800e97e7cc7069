/**
 * How the profiling harness names a CPU profile frame: the part of the run it belongs to. A
 * sample goes to the innermost frame on its stack that has a category here, so time inside
 * `JSON.parse` (a builtin, not a frame of its own) counts for the function that calls it.
 */

/** A V8 CPU profile call frame, with the source file the bundle's source map names. */
export interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
  source?: string | undefined;
}

/** The rows of the breakdown table, in the order they are printed. */
export const CATEGORIES = [
  { id: 'startup', label: 'start-up (modules, rules, store open; worker: until ready)' },
  { id: 'modules', label: 'module loading after start-up' },
  { id: 'plan', label: 'Plan and listing' },
  { id: 'interpreter', label: 'state-machine interpreter' },
  { id: 'messages', label: 'messages between threads (piscina)' },
  { id: 'read', label: 'read (fs)' },
  { id: 'gunzip', label: 'gunzip (+ UTF-8 decode)' },
  { id: 'parse', label: 'parse (JSON.parse)' },
  { id: 'detectors', label: 'detectors' },
  { id: 'analyze', label: 'Analyze glue (sort, findings built, limits)' },
  { id: 'client', label: 'writes, client side (SDK, HTTP, signing)' },
  { id: 'server', label: 'writes, store side (dynalite, LevelDB)' },
  { id: 'http', label: 'writes, HTTP and sockets (either end of the loopback)' },
  { id: 'gc', label: 'garbage collector' },
  { id: 'program', label: 'native, not attributed (program)' },
  { id: 'other', label: 'other' },
  { id: 'idle', label: 'idle (waiting)' },
] as const;

export type Category = (typeof CATEGORIES)[number]['id'];

const NODE_MODULES: [RegExp, Category][] = [
  [/node_modules\/aws-local-stepfunctions\//, 'interpreter'],
  [/node_modules\/piscina\//, 'messages'],
  [/node_modules\/(dynalite|.*level.*|lazy|big\.js|once|async)\//, 'server'],
  [/node_modules\/(@aws-sdk|@smithy|@aws-crypto|fast-xml-parser|bowser|tslib|uuid)\//, 'client'],
  [/node_modules\/(esbuild|tsx|get-tsconfig)\//, 'modules'],
];

const SOURCES: [RegExp, Category][] = [
  [/functions\/detectors\//, 'detectors'],
  [/functions\/plan\//, 'plan'],
  [/functions\/adapters\/dynamodb\.ts$/, 'client'],
  [/functions\/analyze\//, 'analyze'],
  [/functions\/core\/(findings|suppressions|correlation)\.ts$/, 'analyze'],
];

/** The category of one frame, or undefined when the frame says nothing (its caller decides). */
export function categoryOf(frame: Frame): Category | undefined {
  const { functionName: name, url } = frame;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)') return 'program';
  if (name === '(root)') return undefined;
  // A piscina worker blocks in Atomics.wait between tasks: waiting, not messaging.
  if (url.includes('node_modules/piscina/') && /wait/i.test(name)) return 'idle';
  const source = frame.source ?? url;
  if (/functions\/core\/cloudtrail\.ts$/.test(source)) return /^decodeLog/.test(name) ? 'gunzip' : undefined;
  // The text of a slice is decoded (a Latin-1 copy or UTF-8) in `decode`; the rest is parsing.
  if (/functions\/core\/log-slices\.ts$/.test(source)) return /^decode\d*$/.test(name) ? 'gunzip' : 'parse';
  if (/functions\/adapters\/folder-trail\.ts$/.test(source)) return /list|walk/i.test(name) ? 'plan' : 'read';
  for (const [pattern, category] of SOURCES) if (pattern.test(source)) return category;
  // Dependencies compiled into the bundle are named by their source map, the others by their URL.
  for (const [pattern, category] of NODE_MODULES) if (pattern.test(source)) return category;
  if (url === 'node:zlib') return 'gunzip';
  if (url === 'node:fs' || url.startsWith('node:internal/fs')) return 'read';
  if (url.startsWith('node:internal/worker') || url === 'node:worker_threads') return 'messages';
  if (/^node:(_http|http|net|internal\/http|internal\/stream_base|internal\/dns|dns)/.test(url)) return 'http';
  if (url.startsWith('node:internal/modules') || name === 'compileForInternalLoader') return 'modules';
  return undefined;
}

// Compiles the CLI and the Analyze worker thread to plain JavaScript under dist/, so the installed
// command and every worker thread start without a run-time TypeScript loader. Runs on `npm ci` and
// `npm install` (the `prepare` script) and before `npm pack`. The Lambda bundles are built by the
// CDK's own esbuild step, not here.
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = 'dist/cli';

const result = await build({
  absWorkingDir: root,
  // The worker sits beside the CLI: the pool finds it as `./analyze-worker.js` next to itself, and
  // statemachine/definition.ts finds the ASL from the package root, which is the same from dist/cli/.
  entryPoints: { main: 'cli/main.ts', 'analyze-worker': 'cli/local/analyze-worker-entry.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Pure-JavaScript dependencies (the SDK, commander, yaml) are compiled in: Node.js then neither
  // resolves hundreds of files nor scans each CommonJS file for its exports in every thread.
  // These stay in node_modules: dynalite loads LevelDB's native prebuild from beside its own
  // files, piscina starts its worker from its own file, and the interpreter is loaded on first use.
  // Native (LevelDB) or worker-spawning packages stay in node_modules: they load files beside themselves.
  external: ['dynalite', 'level', 'piscina', 'aws-local-stepfunctions'],
  // CommonJS dependencies call require() for Node.js built-ins; an ES module bundle needs one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// The sources each output was built from, so that cli/bin.js can tell a stale build in a clone.
const inputs = Object.keys(result.metafile.inputs)
  // Our TypeScript only: package.json (bundled for the version) is rewritten by installs.
  .filter((path) => !path.startsWith('node_modules/') && path.endsWith('.ts'))
  .map((path) => relative(root, `${root}/${path}`));
await writeFile(`${root}/${outdir}/inputs.json`, `${JSON.stringify(inputs)}\n`);

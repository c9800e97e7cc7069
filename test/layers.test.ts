import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// The import graph in one direction (docs/architecture.md, "Layout"): cli / cdk / bench over the
// handlers, over the composition root, over the steps, over detectors and adapters, over core.
// A file may import its own group or a lower rank, never a higher rank nor a sibling group of the
// same rank (a step another step, a detector an adapter).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['functions', 'statemachine', 'cli', 'cdk', 'bench'];

/** The layer of a source file (a path relative to the root, `/`-separated): its group and rank. */
function layerOf(file: string): { group: string; rank: number } | undefined {
  if (file.startsWith('functions/core/') || file.startsWith('statemachine/')) return { group: 'core', rank: 0 };
  if (file.startsWith('functions/detectors/')) return { group: 'detectors', rank: 1 };
  if (file.startsWith('functions/adapters/')) return { group: 'adapters', rank: 1 };
  const step = /^functions\/(plan|analyze|correlate|publish)\/(.+)$/.exec(file);
  if (step) return step[2] === 'handler.ts' ? { group: 'handlers', rank: 4 } : { group: step[1]!, rank: 2 };
  if (file === 'functions/compose.ts') return { group: 'compose', rank: 3 };
  const top = file.split('/')[0]!;
  if (top === 'cli' || top === 'cdk' || top === 'bench') return { group: top, rank: 5 };
  return undefined;
}

/** Relative specifiers of a module's imports: static, side-effect, dynamic, and re-exports. */
function importsOf(text: string): string[] {
  const found = text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm);
  return [...found].map((match) => match[1]!);
}

/** The imports of `file` that point up or sideways, as `from -> to` lines. */
function wrongArrows(file: string, text: string): string[] {
  const from = layerOf(file);
  if (!from) return [];
  return importsOf(text).flatMap((specifier) => {
    const target = normalize(join(dirname(file), specifier))
      .split(sep)
      .join('/');
    const to = layerOf(target);
    if (!to || to.group === from.group || to.rank < from.rank) return [];
    return [`${file} (${from.group}) -> ${target} (${to.group})`];
  });
}

function sourceFiles(): string[] {
  return SOURCES.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.(ts|js|mjs)$/.test(name))
      .map((name) =>
        relative(ROOT, join(ROOT, dir, name))
          .split(sep)
          .join('/'),
      ),
  );
}

const layers = suite('import direction');

layers('no source file imports a higher layer or a sibling group', () => {
  const files = sourceFiles();
  assert.ok(files.length > 100, `only ${files.length} source files found`);
  const wrong = files.flatMap((file) => wrongArrows(file, readFileSync(join(ROOT, file), 'utf8')));
  assert.equal(wrong, []);
});

layers('nothing under functions/ imports the CLI, the stack or the benchmark', () => {
  const wrong = sourceFiles()
    .filter((file) => file.startsWith('functions/'))
    .filter((file) =>
      importsOf(readFileSync(join(ROOT, file), 'utf8')).some((s) => /^(\.\.\/)+(cli|cdk|bench)\//.test(s)),
    );
  assert.equal(wrong, []);
});

layers('the check sees upward and sideways arrows in every import form', () => {
  assert.equal(wrongArrows('functions/core/x.ts', "import { a } from '../detectors/index.ts';"), [
    'functions/core/x.ts (core) -> functions/detectors/index.ts (detectors)',
  ]);
  assert.equal(wrongArrows('functions/adapters/x.ts', "export type { A } from '../detectors/types.ts';").length, 1);
  assert.equal(wrongArrows('functions/plan/plan.ts', "const m = await import('../publish/publish.ts');").length, 1);
  assert.equal(wrongArrows('cdk/app.ts', "import '../cli/main.ts';").length, 1);
  assert.equal(wrongArrows('statemachine/definition.ts', "import { x } from '../functions/compose.ts';").length, 1);
  // Down and within a group are fine.
  assert.equal(wrongArrows('cli/main.ts', "import { a } from '../functions/core/ports.ts';"), []);
  assert.equal(wrongArrows('functions/detectors/a.ts', "import { b } from './sigma/rule.ts';"), []);
});

layers.run();

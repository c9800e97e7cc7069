import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { definitionPath, readDefinition } from '../../statemachine/definition.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ASL = join(ROOT, 'statemachine', 'audit.asl.json');

const path = suite('definitionPath');

path('finds statemachine/audit.asl.json from the sources', () => {
  assert.is(definitionPath(), ASL);
  assert.is(definitionPath(join(ROOT, 'statemachine', 'definition.ts')), ASL);
});

path('finds the same file from the bundled CLI in dist/cli/', () => {
  assert.is(definitionPath(join(ROOT, 'dist', 'cli', 'main.js')), ASL);
});

path('finds the ASL beside the package.json of an installed package, wherever that is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trail-auditor-definition-'));
  try {
    const installed = join(dir, 'lib', 'node_modules', 'trail-auditor');
    mkdirSync(join(installed, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(installed, 'package.json'), '{}');
    assert.is(
      definitionPath(join(installed, 'dist', 'cli', 'main.js')),
      join(installed, 'statemachine', 'audit.asl.json'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

path.run();

const read = suite('readDefinition');

read('returns the ASL text with its placeholders unfilled', () => {
  const text = readDefinition();
  assert.match(text, /\$\{PlanFunctionArn\}/);
  assert.type(JSON.parse(text).StartAt, 'string');
});

read.run();

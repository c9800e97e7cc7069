#!/usr/bin/env node
// The trail-auditor command. It runs the compiled CLI in dist/ (built by `npm ci`/`npm install`
// through the `prepare` script, and shipped in the package). In a clone whose sources changed
// after that build it runs the TypeScript sources through tsx instead, so an edit is never
// silently ignored; `npm run build` makes it fast again.
import { readFileSync, statSync } from 'node:fs';

// The AWS SDK warns on Node.js 20 about versions it will publish after January 2027; the
// versions this package pins support Node.js 20, so the warning would only confuse.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/main.js', root);

/** True when the build exists and no source it was built from changed since (or the sources are not there, as in an installed package). */
function buildIsCurrent() {
  let builtAt;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return false;
  }
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
  } catch {
    return false;
  }
  for (const input of inputs) {
    let changedAt;
    try {
      changedAt = statSync(new URL(input, root)).mtimeMs;
    } catch (error) {
      // An installed package has no sources; in a clone, a deleted source means a stale build.
      if (error.code === 'ENOENT' && input.endsWith('.ts') && !hasSources()) continue;
      return false;
    }
    if (changedAt > builtAt) return false;
  }
  return true;
}

function hasSources() {
  try {
    statSync(new URL('cli/main.ts', root));
    return true;
  } catch {
    return false;
  }
}

if (buildIsCurrent()) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}

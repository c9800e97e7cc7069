#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so the same sources serve the CLI, the local
// runner and the Lambda bundles without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node.js 20 about versions it will publish after January 2027; the
// versions this package pins support Node.js 20, so the warning would only confuse.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

register();
await import('./main.ts');

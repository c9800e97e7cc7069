#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so the same sources serve the CLI, the local
// runner and the Lambda bundles without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');

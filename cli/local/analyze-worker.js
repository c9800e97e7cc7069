// Worker thread entry of the local runner's Analyze pool when the CLI runs from its TypeScript
// sources (tests, a clone with edits newer than its build): registers the TypeScript loader in
// this thread before importing the worker module. The built CLI uses dist/cli/analyze-worker.js.
import { register } from 'tsx/esm/api';

register();
const { default: analyze } = await import('./analyze-worker-entry.ts');

export default analyze;

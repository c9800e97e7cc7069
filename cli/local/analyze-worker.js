// Worker thread entry of the local runner's Analyze pool when the CLI runs from its TypeScript
// sources (tests, a clone with edits newer than its build): registers the TypeScript loader in
// this thread before importing the worker module. The built CLI uses dist/cli/analyze-worker.js.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node.js 20 about its versions after January 2027 once per thread: the CLI
// hides it in the main thread (bin.js), and this hides it here, where nobody could act on it.
// An explicit setting by the user wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { default: analyze, correlate } = await import('./analyze-worker-entry.ts');

export default analyze;
export { correlate };

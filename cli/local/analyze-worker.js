// Worker thread entry of the local runner's Analyze pool. Plain JS so that it can register the
// TypeScript loader in this thread before importing the step code.
import { register } from 'tsx/esm/api';
import { workerData } from 'piscina';

// The AWS SDK warns on Node.js 20 about its versions after January 2027 once per thread: the CLI
// hides it in the main thread (bin.js), and this hides it here, where nobody could act on it.
// An explicit setting by the user wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { createWorkerAnalyze } = await import('./analyze-worker-impl.ts');

export default await createWorkerAnalyze(workerData);

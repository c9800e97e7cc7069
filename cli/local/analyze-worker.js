// Worker thread entry of the local runner's Analyze pool. Plain JS so that it can register the
// TypeScript loader in this thread before importing the step code.
import { register } from 'tsx/esm/api';
import { workerData } from 'piscina';

register();
const { createWorkerAnalyze } = await import('./analyze-worker-impl.ts');

export default await createWorkerAnalyze(workerData);

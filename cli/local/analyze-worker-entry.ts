// The Analyze worker thread's module: piscina calls its default export once per work item. It is
// compiled to dist/cli/analyze-worker.js for the CLI; analyze-worker.js runs it from the sources.
import './quiet-sdk-warning.ts';
import { workerData } from 'piscina';
import { createWorkerAnalyze } from './analyze-worker-impl.ts';

export default await createWorkerAnalyze(workerData);

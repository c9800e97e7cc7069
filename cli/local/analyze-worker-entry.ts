// The worker thread's module: piscina calls its default export once per Analyze work item and
// `correlate` (a named task) once per Correlate shard. It is
// compiled to dist/cli/analyze-worker.js for the CLI; analyze-worker.js runs it from the sources.
import './quiet-sdk-warning.ts';
import { workerData } from 'piscina';
import { createWorkerSteps } from './analyze-worker-impl.ts';

const steps = await createWorkerSteps(workerData);
export default steps.analyze;
export const correlate = steps.correlate;

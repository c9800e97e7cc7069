import { awsStep } from '../compose.ts';

/** Lambda entry of the Analyze task: the step the composition root builds from this function's environment. */
export const handler = await awsStep('Analyze');

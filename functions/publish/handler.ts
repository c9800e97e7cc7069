import { awsStep } from '../compose.ts';

/** Lambda entry of the Publish task: the step the composition root builds from this function's environment. */
export const handler = await awsStep('Publish');

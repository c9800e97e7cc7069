import type { Detector } from './types.ts';
import { deletingLogs } from './deleting-logs.ts';
import { instanceCredsUsedOutsideEc2 } from './instance-creds-used-outside-ec2.ts';

/** Every built-in detector, in the order findings are reported. An explicit list, no discovery. */
export const BUILT_IN_DETECTORS: readonly Detector[] = [deletingLogs, instanceCredsUsedOutsideEc2];

/** Looks a built-in detector up by id. */
export function detectorById(id: string, detectors: readonly Detector[] = BUILT_IN_DETECTORS): Detector | undefined {
  return detectors.find((detector) => detector.meta.id === id);
}

import type { AwsIpRanges } from '../core/addresses.ts';
import type { Detector } from '../core/detector.ts';
import { createEc2InstanceCredentialsOffInstance } from './ec2-instance-credentials-off-instance.ts';

const OFF_INSTANCE = 'ec2-instance-credentials-off-instance';

/**
 * The detectors with the off-instance detector judging against `ranges` (the same detector a
 * bundled ip-ranges.json builds); a list without it is returned as it is.
 */
export function detectorsWithAwsRanges(detectors: readonly Detector[], ranges: AwsIpRanges): Detector[] {
  return detectors.map((detector) =>
    detector.meta.id === OFF_INSTANCE ? createEc2InstanceCredentialsOffInstance({ awsIpRanges: ranges }) : detector,
  );
}

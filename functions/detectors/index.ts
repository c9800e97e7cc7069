import type { Detector } from './types.ts';
import { deletingLogs } from './deleting-logs.ts';
import { instanceCredsUsedOutsideEc2 } from './instance-creds-used-outside-ec2.ts';
import { adminPolicyAttached } from './admin-policy-attached.ts';
import { amiOrSnapshotShared } from './ami-or-snapshot-shared.ts';
import { cloudtrailEventSelectorsDropManagement } from './cloudtrail-event-selectors-drop-management.ts';
import { cloudtrailLoggingStopped } from './cloudtrail-logging-stopped.ts';
import { cloudtrailTrailDeleted } from './cloudtrail-trail-deleted.ts';
import { cloudtrailTrailModified } from './cloudtrail-trail-modified.ts';
import { cloudwatchLogsDeleted } from './cloudwatch-logs-deleted.ts';
import { configRecordingStopped } from './config-recording-stopped.ts';
import { consoleLoginWithoutMfa } from './console-login-without-mfa.ts';
import { credentialsCreatedForAnotherUser } from './credentials-created-for-another-user.ts';
import { ec2InstanceCredentialsOffInstance } from './ec2-instance-credentials-off-instance.ts';
import { ec2UserDataModified } from './ec2-user-data-modified.ts';
import { guarddutyDisabled } from './guardduty-disabled.ts';
import { kmsKeyDeletionOrDisable } from './kms-key-deletion-or-disable.ts';
import { organizationLeft } from './organization-left.ts';
import { rootUserActivity } from './root-user-activity.ts';
import { route53ResolverQueryLoggingDeleted } from './route53-resolver-query-logging-deleted.ts';
import { s3BucketMadePublic } from './s3-bucket-made-public.ts';
import { securityGroupOpenedToWorld } from './security-group-opened-to-world.ts';
import { vpcFlowLogsDeleted } from './vpc-flow-logs-deleted.ts';

/** Every built-in detector, in the order findings are reported. An explicit list, no discovery. */
export const BUILT_IN_DETECTORS: readonly Detector[] = [
  // The workshop's two, first and unchanged.
  deletingLogs,
  instanceCredsUsedOutsideEc2,
  // The workshop's Phase 2 done right: judged on the correlation stage, where each instance is used from.
  ec2InstanceCredentialsOffInstance,
  // Defence evasion: logging and monitoring.
  cloudtrailLoggingStopped,
  cloudtrailTrailDeleted,
  cloudtrailTrailModified,
  cloudtrailEventSelectorsDropManagement,
  cloudwatchLogsDeleted,
  vpcFlowLogsDeleted,
  route53ResolverQueryLoggingDeleted,
  guarddutyDisabled,
  configRecordingStopped,
  // Identity.
  rootUserActivity,
  consoleLoginWithoutMfa,
  adminPolicyAttached,
  credentialsCreatedForAnotherUser,
  // Exposure, destruction, exfiltration.
  s3BucketMadePublic,
  securityGroupOpenedToWorld,
  kmsKeyDeletionOrDisable,
  ec2UserDataModified,
  amiOrSnapshotShared,
  organizationLeft,
];

/** Looks a built-in detector up by id. */
export function detectorById(id: string, detectors: readonly Detector[] = BUILT_IN_DETECTORS): Detector | undefined {
  return detectors.find((detector) => detector.meta.id === id);
}

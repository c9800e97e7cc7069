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
import { bedrockModelInvokedByNewPrincipal } from './bedrock-model-invoked-by-new-principal.ts';
import { discoveryFromInstance } from './discovery-from-instance.ts';
import { ec2InstanceConnectOnManyInstances } from './ec2-instance-connect-on-many-instances.ts';
import { ec2PasswordDataRetrieved } from './ec2-password-data-retrieved.ts';
import { ec2SerialConsoleSshKey } from './ec2-serial-console-ssh-key.ts';
import { ec2UnusualInstanceLaunched } from './ec2-unusual-instance-launched.ts';
import { ec2UserDataDownloaded } from './ec2-user-data-downloaded.ts';
import { iamRoleTrustPolicyModified } from './iam-role-trust-policy-modified.ts';
import { lambdaFunctionCodeUpdated } from './lambda-function-code-updated.ts';
import { lambdaFunctionSharedExternally } from './lambda-function-shared-externally.ts';
import { lambdaLayerAttached } from './lambda-layer-attached.ts';
import { rolesanywhereTrustAnchorCreated } from './rolesanywhere-trust-anchor-created.ts';
import { s3BucketPolicyGrantsExternalAccount } from './s3-bucket-policy-grants-external-account.ts';
import { s3LifecycleShortExpiration } from './s3-lifecycle-short-expiration.ts';
import { s3ObjectsDeletedInBulk } from './s3-objects-deleted-in-bulk.ts';
import { s3ObjectsEncryptedWithCustomerKey } from './s3-objects-encrypted-with-customer-key.ts';
import { sagemakerLifecycleConfigChanged } from './sagemaker-lifecycle-config-changed.ts';
import { secretsManagerSecretsReadInBulk } from './secrets-manager-secrets-read-in-bulk.ts';
import { sesEnumeration } from './ses-enumeration.ts';
import { ssmCommandsOnManyInstances } from './ssm-commands-on-many-instances.ts';
import { ssmParametersDecryptedInBulk } from './ssm-parameters-decrypted-in-bulk.ts';
import { ssmSessionsOnManyInstances } from './ssm-sessions-on-many-instances.ts';
import { stsFederationTokenCreated } from './sts-federation-token-created.ts';

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
  s3BucketPolicyGrantsExternalAccount,
  s3LifecycleShortExpiration,
  // Credential access.
  secretsManagerSecretsReadInBulk,
  ssmParametersDecryptedInBulk,
  ec2PasswordDataRetrieved,
  ec2UserDataDownloaded,
  // Persistence.
  iamRoleTrustPolicyModified,
  lambdaFunctionSharedExternally,
  lambdaFunctionCodeUpdated,
  lambdaLayerAttached,
  rolesanywhereTrustAnchorCreated,
  stsFederationTokenCreated,
  // Execution and lateral movement onto hosts.
  ssmSessionsOnManyInstances,
  ssmCommandsOnManyInstances,
  ec2InstanceConnectOnManyInstances,
  ec2SerialConsoleSshKey,
  sagemakerLifecycleConfigChanged,
  // Discovery.
  discoveryFromInstance,
  sesEnumeration,
  // Resource hijacking and impact.
  ec2UnusualInstanceLaunched,
  bedrockModelInvokedByNewPrincipal,
  s3ObjectsDeletedInBulk,
  s3ObjectsEncryptedWithCustomerKey,
];

/** Looks a built-in detector up by id. */
export function detectorById(id: string, detectors: readonly Detector[] = BUILT_IN_DETECTORS): Detector | undefined {
  return detectors.find((detector) => detector.meta.id === id);
}

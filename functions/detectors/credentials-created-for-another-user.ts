import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** An access key or console password created or reset for an IAM user by someone else. */
export const credentialsCreatedForAnotherUser = apiCallDetector(
  {
    id: 'credentials-created-for-another-user',
    title: 'Credentials created for another user',
    description:
      'IAM CreateAccessKey, CreateLoginProfile or UpdateLoginProfile naming a user other than the caller: whoever made the call now holds working credentials of that user, a quiet way to persist. A user managing its own credentials (IAMUser caller with the same userName) is not a finding. A console password reset that forces the user to choose a new password at next sign-in (UpdateLoginProfile with passwordResetRequired true, the helpdesk routine) is reported at low severity rather than skipped: the caller still knew the password until the user changed it.',
    severity: 'medium',
    mitre: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    references: [
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html',
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html',
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html',
      techniqueUrl('T1098.001'),
    ],
    falsePositives: [
      'Administrators onboarding users or resetting forgotten passwords.',
      'Infrastructure-as-code creating keys for service users (the caller is then a CloudFormation or pipeline role).',
    ],
    runbook:
      "Confirm with the target user and the caller that the key or password was expected. If not: deactivate and delete the new key (or the login profile), review what the key was used for since (its accessKeyId in CloudTrail), and rotate the caller's credentials.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    weaknesses: [
      'Only IAM user callers are compared by name; a role session named like the target user still matches.',
      'A forced reset (passwordResetRequired true) is only low: an intruder can set it too and sign in before the user does.',
    ],
    stratus: [
      'aws.persistence.iam-backdoor-user',
      'aws.persistence.iam-create-user-login-profile',
      'aws.privilege-escalation.iam-update-user-login-profile',
    ],
  },
  { 'iam.amazonaws.com': ['CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile'] },
  (params, record) => {
    // Without userName the call acts on the caller itself.
    const target = stringAt(params, 'userName');
    if (!target) return undefined;
    if (
      stringAt(record, 'userIdentity', 'type') === 'IAMUser' &&
      stringAt(record, 'userIdentity', 'userName') === target
    )
      return undefined;
    const reason = `${String(record.eventName)} requested by ${principalOf(record)} for IAM user '${target}'.`;
    // The helpdesk reset: the user must pick a new password at next sign-in.
    const forcedReset =
      record.eventName === 'UpdateLoginProfile' &&
      (params?.passwordResetRequired === true || params?.passwordResetRequired === 'true');
    return forcedReset
      ? { reason: reason.replace(/\.$/, ' with a forced reset at next sign-in.'), severity: 'low' }
      : reason;
  },
);

import { apiCallDetector, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** A successful console sign-in by an IAM user or the root user without MFA. */
export const consoleLoginWithoutMfa = apiCallDetector(
  {
    id: 'console-login-without-mfa',
    title: 'Console login without MFA',
    description:
      'A successful ConsoleLogin by an IAM user (medium) or the root user (high) with additionalEventData.MFAUsed "No": a password alone opened a console session. Federated sign-ins (AssumedRole, IAM Identity Center) are skipped: their MFA happens at the identity provider and CloudTrail always records MFAUsed "No" for them.',
    severity: 'medium',
    mitre: { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
    references: [
      'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html',
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html',
      techniqueUrl('T1078.004'),
    ],
    falsePositives: ['IAM users not yet enrolled in MFA (a finding in itself, but not an intrusion).'],
    runbook:
      "Ask the user whether they signed in from that address. Enforce MFA (an IAM policy denying everything without aws:MultiFactorAuthPresent, or moving the user to IAM Identity Center). If the sign-in is not theirs: reset the password, revoke console sessions and review the session's calls.",
    failedCalls: FAILED_CALLS.ignored,
    stratus: ['aws.initial-access.console-login-without-mfa'],
  },
  { 'signin.amazonaws.com': ['ConsoleLogin'] },
  (_params, record) => {
    if (stringAt(record.responseElements, 'ConsoleLogin') !== 'Success') return undefined;
    if (stringAt(record.additionalEventData, 'MFAUsed') !== 'No') return undefined;
    const type = stringAt(record, 'userIdentity', 'type');
    const from = stringAt(record, 'sourceIPAddress') ?? 'an unknown address';
    if (type === 'Root')
      return { reason: `The root user signed in to the console without MFA from ${from}.`, severity: 'high' };
    if (type !== 'IAMUser') return undefined;
    return `IAM user '${stringAt(record, 'userIdentity', 'userName') ?? 'unknown'}' signed in to the console without MFA from ${from}.`;
  },
);

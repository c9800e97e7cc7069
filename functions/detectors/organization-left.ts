import { apiCallDetector, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Organizations `LeaveOrganization`: a member account leaves, and its guardrails go with it. */
export const organizationLeft = apiCallDetector(
  {
    id: 'organization-left',
    title: 'Account left the organization',
    description:
      'An Organizations LeaveOrganization call from a member account: service control policies, the organisation trail, delegated GuardDuty and Security Hub stop applying to it, and billing moves to the account itself.',
    severity: 'high',
    mitre: { id: 'T1666', name: 'Modify Cloud Resource Hierarchy' },
    references: [
      'https://docs.aws.amazon.com/organizations/latest/APIReference/API_LeaveOrganization.html',
      techniqueUrl('T1666'),
    ],
    falsePositives: ['A planned move of the account to another organisation (divestiture, reorganisation).'],
    runbook:
      "Check with the organisation's owners whether the move was planned. If not: the account is outside your SCPs now; regain access through its root user or an existing admin role, and review every call made in the account since. Prevent recurrence with an SCP denying organizations:LeaveOrganization.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.defense-evasion.organizations-leave'],
  },
  { 'organizations.amazonaws.com': ['LeaveOrganization'] },
  (_params, record) =>
    `LeaveOrganization requested by account ${stringAt(record, 'recipientAccountId') ?? stringAt(record, 'userIdentity', 'accountId') ?? 'unknown'}.`,
);

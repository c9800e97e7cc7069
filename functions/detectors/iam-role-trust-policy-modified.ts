import { principalOf } from '../core/cloudtrail.ts';
import { awsPrincipals, hasCondition, outsiders, ownAccount } from './accounts.ts';
import { apiCallDetector, label, parsePolicy, statementsOf, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: accounts a role may trust without a finding (your organisation's accounts). */
export interface RoleTrustOptions {
  allowedAccounts?: readonly string[];
}

/** A role's trust policy replaced, or a role created that trusts another account or everyone. */
export function createIamRoleTrustPolicyModified(options: RoleTrustOptions = {}) {
  const allowed = new Set(options.allowedAccounts ?? []);
  return apiCallDetector(
    {
      id: 'iam-role-trust-policy-modified',
      title: 'IAM role trust policy modified',
      description:
        'IAM UpdateAssumeRolePolicy (who may assume a role) on any role: medium, or high when the new policy trusts an account outside this one and the allow-list, or everyone ("*"). CreateRole is reported only in that high case (a new role trusting an outside account). Backdooring a trust policy lets an outside account take the role at will.',
      severity: 'high',
      mitre: { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' },
      references: [
        'https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html',
        'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html',
        techniqueUrl('T1098.003'),
      ],
      falsePositives: [
        'Infrastructure-as-code updating trust policies (CloudFormation, Terraform): medium findings unless an outside account appears.',
        'Vendors (monitoring, backup, CSPM) being granted a cross-account role: add their accounts to allowedAccounts once reviewed.',
      ],
      runbook:
        'Read the new trust policy in the record. For an unknown account or "*": restore the previous policy, check AssumeRole calls on the role from that account since (their recipientAccountId is this account), and review the caller\'s other changes.',
      failedCalls: FAILED_CALLS.lowerSeverity,
      weaknesses: [
        'Conditions (sts:ExternalId, aws:PrincipalOrgID) are not evaluated; a trust narrowed by them is still reported, with a note.',
      ],
      stratus: ['aws.persistence.iam-backdoor-role', 'aws.persistence.iam-create-backdoor-role'],
    },
    { 'iam.amazonaws.com': ['UpdateAssumeRolePolicy', 'CreateRole'] },
    (params, record) => {
      const call = String(record.eventName);
      const role = label('role', stringAt(params, 'roleName'));
      const statements = statementsOf(parsePolicy(params?.policyDocument ?? params?.assumeRolePolicyDocument)).filter(
        (s) => s.Effect === 'Allow',
      );
      const outside = statements.flatMap((statement) =>
        outsiders(awsPrincipals(statement), ownAccount(record), allowed),
      );
      const narrowed = statements.some(hasCondition) ? ' (with a Condition)' : '';
      if (outside.length > 0) {
        const who = [...new Set(outside)].slice(0, 5).join(', ');
        return `${call} by ${principalOf(record)} lets ${who === '*' ? 'everyone (*)' : who} assume ${role}${narrowed}.`;
      }
      if (call === 'CreateRole') return undefined;
      return {
        reason: `UpdateAssumeRolePolicy by ${principalOf(record)} replaced the trust policy of ${role}.`,
        severity: 'medium',
      };
    },
  );
}

export const iamRoleTrustPolicyModified = createIamRoleTrustPolicyModified();

import { apiCallDetector, includesValue, label, parsePolicy, statementsOf, stringAt, type Json } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

// The AWS managed AdministratorAccess policy in any partition (aws, aws-cn, aws-us-gov...).
const ADMINISTRATOR_ACCESS = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;

/** Who the policy goes to: the user, role or group named in the request. */
function target(params: Json | undefined): string {
  const user = stringAt(params, 'userName');
  if (user) return label('user', user);
  const role = stringAt(params, 'roleName');
  if (role) return label('role', role);
  return label('group', stringAt(params, 'groupName'));
}

/** Whether a statement allows every action on every resource. */
function grantsEverything(statement: Json): boolean {
  return (
    statement.Effect === 'Allow' &&
    (includesValue(statement.Action, '*') || includesValue(statement.Action, '*:*')) &&
    includesValue(statement.Resource, '*')
  );
}

/** Full administrator rights given to a user, role or group, managed or inline. */
export const adminPolicyAttached = apiCallDetector(
  {
    id: 'admin-policy-attached',
    title: 'Administrator policy attached',
    description:
      'The AWS managed AdministratorAccess policy attached to a user, role or group (Attach*Policy), or an inline policy put on one (Put*Policy) with a statement that allows Action "*" on Resource "*". A common privilege-escalation and persistence step.',
    severity: 'high',
    mitre: { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' },
    references: [
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html',
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html',
      'https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html',
      techniqueUrl('T1098.003'),
    ],
    falsePositives: [
      'Provisioning of break-glass or platform-admin roles by infrastructure-as-code or account vending.',
    ],
    runbook:
      "Check that the target user, role or group is meant to be an administrator and that a change covers it. If not: detach or delete the policy, review who can use the target (role trust policy, group members, user keys) and what it did since, and rotate the caller's credentials.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.persistence.iam-create-admin-user', 'aws.persistence.iam-create-backdoor-role'],
    weaknesses: [
      'Customer managed policies are not inspected (CreatePolicy / CreatePolicyVersion with Action "*", then Attach*Policy, is missed).',
      'Near-admin grants (iam:*, NotAction with Allow, PowerUserAccess) are not matched.',
    ],
  },
  {
    'iam.amazonaws.com': [
      'AttachUserPolicy',
      'AttachRolePolicy',
      'AttachGroupPolicy',
      'PutUserPolicy',
      'PutRolePolicy',
      'PutGroupPolicy',
    ],
  },
  (params, record) => {
    const name = String(record.eventName);
    if (name.startsWith('Attach')) {
      const arn = stringAt(params, 'policyArn');
      return arn && ADMINISTRATOR_ACCESS.test(arn)
        ? `${name} requested AdministratorAccess for ${target(params)}.`
        : undefined;
    }
    if (!statementsOf(parsePolicy(params?.policyDocument)).some(grantsEverything)) return undefined;
    return `${name} requested inline ${label('policy', stringAt(params, 'policyName'))} allowing Action * on Resource * for ${target(params)}.`;
  },
);

import { burstDetector, isInstanceSession, type BurstOptions } from './burst.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: 5 distinct discovery calls by one instance session within 10 minutes. */
export const DISCOVERY_FROM_INSTANCE_DEFAULTS: BurstOptions = { threshold: 5, windowMinutes: 10 };

// Account-wide reconnaissance that workloads rarely make: who exists, what protects the account, what to take.
const DISCOVERY: Record<string, string[]> = {
  'sts.amazonaws.com': ['GetCallerIdentity'],
  's3.amazonaws.com': ['ListBuckets'],
  'iam.amazonaws.com': [
    'GetAccountSummary',
    'ListRoles',
    'ListUsers',
    'ListGroups',
    'ListPolicies',
    'GetAccountAuthorizationDetails',
    'ListAccessKeys',
    'ListAttachedRolePolicies',
    'ListAttachedUserPolicies',
    'GetAccountPasswordPolicy',
  ],
  'ec2.amazonaws.com': ['DescribeSnapshots', 'DescribeImages', 'DescribeVpcs'],
  'cloudtrail.amazonaws.com': ['DescribeTrails', 'GetTrailStatus'],
  'guardduty.amazonaws.com': ['ListDetectors'],
  'organizations.amazonaws.com': ['DescribeOrganization', 'ListAccounts'],
  'secretsmanager.amazonaws.com': ['ListSecrets'],
  'ssm.amazonaws.com': ['DescribeParameters'],
};

/** An EC2 instance role session running account discovery: the instance is probably in someone else's hands. */
export function createDiscoveryFromInstance(options: Partial<BurstOptions> = {}) {
  const settings = { ...DISCOVERY_FROM_INSTANCE_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'discovery-from-instance',
        title: 'Discovery from an EC2 instance',
        description: `An EC2 instance role session (ARN ending in an instance id) made ${settings.threshold} or more distinct account-discovery calls (IAM users, roles and policies, buckets, snapshots, trails, GuardDuty, secrets...) within ${settings.windowMinutes} minutes. Workloads call the few APIs they need; an intruder on the host maps the account.`,
        severity: 'medium',
        mitre: { id: 'T1580', name: 'Cloud Infrastructure Discovery' },
        references: [
          'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html',
          'https://securitylabs.datadoghq.com/articles/following-attackers-trail-in-aws-methodology-findings-in-the-wild/',
          techniqueUrl('T1580'),
        ],
        falsePositives: [
          'Security or inventory agents running on the instance (e.g. a CSPM scanner with an instance role).',
        ],
        runbook:
          "Find the instance (the session name is its id) and what runs there. If nothing on it should enumerate the account: isolate it (security group), snapshot its volumes, revoke the role's active sessions, and review what the session did besides discovery.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: [
          'Only instance role sessions are watched; discovery with stolen user keys is left to other detectors.',
          'Counts distinct API names, not calls: paging through one list many times counts once.',
        ],
        stratus: ['aws.discovery.ec2-enumerate-from-instance'],
      },
      events: DISCOVERY,
      counts: isInstanceSession,
      noun: 'discovery calls',
      verb: 'made',
      items: (_params, record) => [`${String(record.eventSource).split('.')[0]}:${String(record.eventName)}`],
    },
    settings,
  );
}

export const discoveryFromInstance = createDiscoveryFromInstance();

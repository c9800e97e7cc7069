import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { FAILED_CALLS, MATCH, type StatelessDetector } from './types.ts';

// The workshop's Python `re.match('(.*?)/i\-[a-zA-Z0-9]{8,}$', arn)`: anchored at the start,
// `.` stops at a newline, and `$` also matches before one final newline.
const INSTANCE_ARN = /^.*?\/i-[a-zA-Z0-9]{8,}\n?$/;

/**
 * The workshop's Phase 2 detector, kept exactly: an assumed-role session with a temporary (`AS`)
 * key whose ARN ends in an EC2 instance id. It flags every use of instance credentials.
 */
export const instanceCredsUsedOutsideEc2: StatelessDetector = {
  kind: 'stateless',
  meta: {
    id: 'instance-creds-used-outside-ec2',
    title: 'Instance credentials used outside EC2',
    description:
      'An API call made with an EC2 instance role session (AssumedRole, ASIA key, ARN ending in an instance id). The workshop (SID 341) rule, unchanged: it does not look at where the call came from.',
    severity: 'medium',
    mitre: { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' },
    references: [
      'https://github.com/aws-samples/aws-cloudtrail-analyzer-workshop',
      'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationoutsideaws',
    ],
    falsePositives: [
      'Every call the instance makes itself (SSM agent, CloudWatch agent, the application) matches: on a real trail this rule is noisy (77 % of the calls of our realistic account day, 40 % of the benchmark corpus).',
      'Role sessions that a person or tool names like an instance id (i- then 8+ letters or digits) match.',
    ],
    runbook:
      "Prefer ec2-instance-credentials-off-instance, which checks where the call came from. For a match here: compare sourceIPAddress with the instance's own addresses; if it is elsewhere, revoke the role's active sessions (AWSRevokeOlderSessions) and require IMDSv2 on the instance.",
    failedCalls: FAILED_CALLS.matched,
    stratus: ['aws.credential-access.ec2-steal-instance-credentials'],
    // Every call an instance makes matches, so the rate is the trail's share of instance-role calls, bounded
    // by nothing in the rule: 0.40 of the benchmark corpus, 0.77 of a realistic account day
    // (test/helpers/ordinary-accounts.ts). 0.8 holds for both; an account run mostly by instances goes higher.
    ordinaryRate: 0.8,
    weaknesses: [
      'It never looks at the source address, so it also fires on the instance\'s own calls (the workshop called improving this "extra credit").',
      'Failed calls match too (no errorCode check).',
      'A role session named like an instance id matches although no instance is involved.',
    ],
  },
  detect(record: CloudTrailRecord) {
    const identity = record.userIdentity;
    if (!identity || typeof identity !== 'object') return undefined;
    if (identity.type !== 'AssumedRole') return undefined;
    if (typeof identity.accessKeyId !== 'string' || !identity.accessKeyId.startsWith('AS')) return undefined;
    if (typeof identity.arn !== 'string' || !INSTANCE_ARN.test(identity.arn)) return undefined;
    return MATCH;
  },
};

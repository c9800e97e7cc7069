import type { DetectorMetadata } from '../core/detector.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** What ec2-instance-credentials-off-instance.ts detects and how to answer it (its decision lives there). */
export const OFF_INSTANCE_META: DetectorMetadata = {
  id: 'ec2-instance-credentials-off-instance',
  title: 'EC2 instance credentials used off the instance',
  description:
    "A call made with an EC2 instance role session (IMDS-delivered credentials, recognised by userIdentity.sessionContext.ec2RoleDelivery) from a public address that is not where the instance is. Per session, the home is the account's VPC endpoints and private addresses, the account's egress (NAT gateways shared by several instances), the address the instance's other sessions start at, or else the session's earliest public address that no evidence argues against (outside AWS's published ranges, used by people's access keys, another account's VPC endpoint, an instance that otherwise only calls through endpoints). Judged on the correlation stage over all of the instance's calls, so the verdict does not depend on processing order. The workshop's \"extra credit\", done the way GuardDuty (InstanceCredentialExfiltration) and Netflix (2018) do it.",
  severity: 'high',
  mitre: { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' },
  stratus: ['aws.credential-access.ec2-steal-instance-credentials'],
  references: [
    techniqueUrl('T1552.005'),
    'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationoutsideaws',
    'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationinsideaws',
    'https://medium.com/netflix-techblog/netflix-cloud-security-detecting-credential-compromise-in-aws-9493d6fd373a',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html',
    'https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html',
  ],
  falsePositives: [
    "The instance's own address changed during a session (an Elastic IP moved or associated, a public IP added): the new address is flagged for that session.",
    'An instance that reaches some endpoints over IPv6 and others over IPv4 (dual-stack endpoints) shows two addresses.',
    'An instance that otherwise only calls through VPC endpoints and now and then calls out through its own public address or a NAT gateway it alone uses.',
    "Instances behind an on-premises proxy (Direct Connect or VPN) egress outside AWS's ranges: flagged until enough instances start their sessions there to make it the account's egress; suppress a known proxy by sourceIPs.",
    "A person deliberately using an instance's credentials from a workstation while debugging: true off-instance use, but not theft.",
  ],
  runbook:
    "Compare sourceIPAddress with the instance's addresses (DescribeInstances, network interfaces, Elastic IP history in CloudTrail) and with the home address given in the reason. A failed call (AccessDenied) from another address is still an attempt to use stolen credentials: treat it like a success. If the address is not the instance's: revoke the role's active sessions (IAM console \"Revoke active sessions\", i.e. an AWSRevokeOlderSessions deny), require IMDSv2 (HttpTokens=required, hop limit 1) on the instance, look for SSRF or a compromised process on it, and review every call made from the address.",
  failedCalls: FAILED_CALLS.matched,
  weaknesses: [
    'Trails from before ec2RoleDelivery existed (2021) are not covered: a session named like an instance id without it is not treated as an instance session, so forged look-alike session names cannot cause findings either way.',
    'Stolen credentials used from another host in the same VPC through its endpoints, or behind the same NAT gateway, look like the instance (GuardDuty has the same blind spot).',
    "A thief who uses a session before the instance's own public calls, from an AWS address nobody's keys use, on a new instance (no other sessions yet), is taken as home. From outside AWS it is caught only with AWS's published ranges: deployed, Correlate fetches them daily by default; locally, give `--aws-ip-ranges FILE`.",
    "A thief who steals every session of an endpoint-only instance and uses each from the same AWS address makes that address look like where the instance's sessions start.",
    "Counts are lower bounds, and an instance keeps its newest 24 sessions and earliest 8 public addresses within the aggregates' retention (AGGREGATE_TTL_DAYS, default 3).",
  ],
};

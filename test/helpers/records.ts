import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';

let counter = 0;

/** A plausible management-event record; override any field. Ids are redacted (123456789012, 192.0.2.x). */
export function aRecord(overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord {
  counter++;
  return {
    eventVersion: '1.09',
    userIdentity: anIamUser(),
    eventTime: '2017-11-28T19:05:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${counter}`,
    eventID: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
    ...overrides,
  };
}

/** An IAM user with a long-term AKIA key. */
export function anIamUser(overrides: Partial<UserIdentity> = {}): UserIdentity {
  return {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEUSER00001',
    arn: 'arn:aws:iam::123456789012:user/alice',
    accountId: '123456789012',
    accessKeyId: 'AKIAEXAMPLEKEY000001',
    userName: 'alice',
    ...overrides,
  };
}

/** An EC2 instance role session, as IMDS-delivered credentials appear in CloudTrail. */
export function anInstanceSession(
  instanceId = 'i-0a1b2c3d4e5f60789',
  overrides: Partial<UserIdentity> = {},
): UserIdentity {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEROLE00001:${instanceId}`,
    arn: `arn:aws:sts::123456789012:assumed-role/WebServerRole/${instanceId}`,
    accountId: '123456789012',
    accessKeyId: 'ASIAEXAMPLESESSION01',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEROLE00001',
        arn: 'arn:aws:iam::123456789012:role/WebServerRole',
        accountId: '123456789012',
        userName: 'WebServerRole',
      },
      attributes: { creationDate: '2017-11-28T18:00:00Z', mfaAuthenticated: 'false' },
      ec2RoleDelivery: '2.0',
    },
    ...overrides,
  };
}

/** The root user. */
export function aRootUser(overrides: Partial<UserIdentity> = {}): UserIdentity {
  return {
    type: 'Root',
    principalId: '123456789012',
    arn: 'arn:aws:iam::123456789012:root',
    accountId: '123456789012',
    ...overrides,
  };
}

/** A write call to `eventSource` (short or full: `iam` or `iam.amazonaws.com`) with these request parameters. */
export function aCall(
  eventSource: string,
  eventName: string,
  requestParameters: Record<string, unknown> | null = null,
  overrides: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  const source = eventSource.includes('.') ? eventSource : `${eventSource}.amazonaws.com`;
  return aRecord({ eventSource: source, eventName, requestParameters, readOnly: false, ...overrides });
}

/** `record` as a call that failed with `errorCode`. */
export function aFailed(record: CloudTrailRecord, errorCode = 'AccessDenied'): CloudTrailRecord {
  return {
    ...record,
    errorCode,
    errorMessage: `User is not authorized to perform ${record.eventName ?? 'this action'}`,
  };
}

/** A role session that is not an instance: a person or pipeline that assumed a role. */
export function anAssumedRole(
  roleName = 'AdminRole',
  sessionName = 'bob',
  overrides: Partial<UserIdentity> = {},
): UserIdentity {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEROLE00002:${sessionName}`,
    arn: `arn:aws:sts::123456789012:assumed-role/${roleName}/${sessionName}`,
    accountId: '123456789012',
    accessKeyId: 'ASIAEXAMPLESESSION02',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEROLE00002',
        arn: `arn:aws:iam::123456789012:role/${roleName}`,
        accountId: '123456789012',
        userName: roleName,
      },
      attributes: { creationDate: '2017-11-28T18:00:00Z', mfaAuthenticated: 'false' },
    },
    ...overrides,
  };
}

/** Stratus Red Team's documented detonation of aws.discovery.ec2-enumerate-from-instance: [service, API]. */
export const EC2_ENUMERATE_FROM_INSTANCE: readonly (readonly [string, string])[] = [
  ['sts', 'GetCallerIdentity'],
  ['s3', 'ListBuckets'],
  ['iam', 'GetAccountSummary'],
  ['iam', 'ListRoles'],
  ['iam', 'ListUsers'],
  ['iam', 'GetAccountAuthorizationDetails'],
  ['ec2', 'DescribeSnapshots'],
  ['cloudtrail', 'DescribeTrails'],
  ['guardduty', 'ListDetectors'],
];

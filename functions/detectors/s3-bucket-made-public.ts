import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import {
  apiCallDetector,
  asObject,
  at,
  findStrings,
  includesValue,
  isFalse,
  label,
  parsePolicy,
  statementsOf,
  stringAt,
  type Json,
} from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

const PUBLIC_GROUPS = [
  'acs.amazonaws.com/groups/global/AllUsers',
  'acs.amazonaws.com/groups/global/AuthenticatedUsers',
];
const PUBLIC_CANNED_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const BLOCK_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

/** An Allow statement for everyone (`*` or `{ AWS: '*' }`) that no Condition narrows. */
function isPublicStatement(statement: Json): boolean {
  if (statement.Effect !== 'Allow') return false;
  const principal = statement.Principal;
  if (principal !== '*' && !includesValue(at(principal, 'AWS'), '*')) return false;
  const condition = statement.Condition;
  return condition === undefined || condition === null || Object.keys(asObject(condition) ?? {}).length === 0;
}

/** The bucket, or for account-level calls the account, the call is about. */
function scope(params: Json | undefined, record: CloudTrailRecord): string {
  const bucket = stringAt(params, 'bucketName');
  if (bucket) return label('bucket', bucket);
  return label('account', stringAt(params, 'accountId') ?? stringAt(record, 'recipientAccountId'));
}

function publicPolicy(params: Json | undefined): string | undefined {
  const statement = statementsOf(parsePolicy(params?.bucketPolicy) ?? parsePolicy(params?.policy)).find(
    isPublicStatement,
  );
  if (!statement) return undefined;
  const sid = typeof statement.Sid === 'string' && statement.Sid ? ` (statement '${statement.Sid}')` : '';
  return `PutBucketPolicy requested a policy on ${label('bucket', stringAt(params, 'bucketName'))} that allows Principal * without a Condition${sid}.`;
}

function publicAcl(params: Json | undefined): string | undefined {
  // The canned ACL header is recorded as a list of strings (a bare string is accepted too).
  const header = params?.['x-amz-acl'];
  const canned = (Array.isArray(header) ? header : [header]).find(
    (value) => typeof value === 'string' && PUBLIC_CANNED_ACLS.has(value),
  );
  const group = findStrings(params, (text) => PUBLIC_GROUPS.some((uri) => text.includes(uri)), 1)[0];
  if (canned === undefined && group === undefined) return undefined;
  const grantee =
    canned !== undefined
      ? `canned ACL ${String(canned)}`
      : group!.includes('AllUsers')
        ? 'the AllUsers group'
        : 'the AuthenticatedUsers group';
  return `PutBucketAcl requested access for ${grantee} on ${label('bucket', stringAt(params, 'bucketName'))}.`;
}

/** A bucket policy or ACL opened to everyone, or the public access block that prevents it removed or weakened. */
export const s3BucketMadePublic = apiCallDetector(
  {
    id: 's3-bucket-made-public',
    title: 'S3 bucket made public',
    description:
      'S3 PutBucketPolicy with an Allow statement for Principal "*" (or {"AWS":"*"}) and no Condition; PutBucketAcl granting the AllUsers or AuthenticatedUsers group or a public canned ACL; or the bucket\'s or account\'s Block Public Access removed (CloudTrail DeleteBucketPublicAccessBlock / DeleteAccountPublicAccessBlock; the API name DeletePublicAccessBlock is accepted too) or set with any of its four flags false.',
    severity: 'high',
    mitre: { id: 'T1530', name: 'Data from Cloud Storage' },
    references: [
      'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html',
      'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html',
      'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html',
      'https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html',
      techniqueUrl('T1530'),
    ],
    falsePositives: [
      'Buckets meant to be public (static websites, public datasets), better served through CloudFront with origin access control.',
      'A public policy statement whose Principal is narrowed by something other than a Condition (e.g. NotPrincipal tricks) is judged public.',
    ],
    runbook:
      "Restore Block Public Access on the bucket (PutPublicAccessBlock with all four flags true) unless the bucket is on the list of intended public buckets. Then check S3 server access logs or CloudTrail data events for anonymous reads since the change, and review the principal's other calls.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    weaknesses: ['Object ACLs (PutObjectAcl) and access point policies are not inspected.'],
  },
  {
    's3.amazonaws.com': [
      'PutBucketPolicy',
      'PutBucketAcl',
      'DeleteBucketPublicAccessBlock',
      'DeletePublicAccessBlock',
      'DeleteAccountPublicAccessBlock',
      'PutBucketPublicAccessBlock',
      'PutPublicAccessBlock',
      'PutAccountPublicAccessBlock',
    ],
  },
  (params, record) => {
    const name = String(record.eventName);
    if (name === 'PutBucketPolicy') return publicPolicy(params);
    if (name === 'PutBucketAcl') return publicAcl(params);
    if (name.startsWith('Delete'))
      return `${name} requested removing Block Public Access from ${scope(params, record)}.`;
    const configuration = at(params, 'PublicAccessBlockConfiguration');
    const off = BLOCK_FLAGS.filter((flag) => isFalse(at(configuration, flag)));
    return off.length > 0 ? `${name} requested ${off.join(', ')} false on ${scope(params, record)}.` : undefined;
  },
);

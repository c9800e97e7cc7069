import { principalOf } from '../core/cloudtrail.ts';
import { awsPrincipals, outsiders, ownAccount } from './accounts.ts';
import { apiCallDetector, label, parsePolicy, statementsOf, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: accounts a bucket may be shared with without a finding (your organisation's accounts). */
export interface BucketShareOptions {
  allowedAccounts?: readonly string[];
}

/** An S3 bucket policy that lets another AWS account in (public policies are s3-bucket-made-public's). */
export function createS3BucketPolicyGrantsExternalAccount(options: BucketShareOptions = {}) {
  const allowed = new Set(options.allowedAccounts ?? []);
  return apiCallDetector(
    {
      id: 's3-bucket-policy-grants-external-account',
      title: 'S3 bucket policy grants another account',
      description:
        'S3 PutBucketPolicy with an Allow statement whose AWS principal is an account, or a user or role of an account, other than the bucket owner\'s and outside the allow-list. A backdoored bucket policy lets that account read or write the data from home. Principal "*" is left to s3-bucket-made-public.',
      severity: 'high',
      mitre: { id: 'T1537', name: 'Transfer Data to Cloud Account' },
      references: ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html', techniqueUrl('T1537')],
      falsePositives: ['Buckets shared with partner, log-archive or backup accounts: list them in allowedAccounts.'],
      runbook:
        "Compare the granted accounts with your organisation's. For an unknown account: remove the statement, look for S3 data events (GetObject, ListBucket) from that account since, and review the caller's other calls.",
      failedCalls: FAILED_CALLS.lowerSeverity,
      weaknesses: ['Conditions are not evaluated; a grant narrowed by aws:PrincipalOrgID is still reported.'],
      stratus: ['aws.exfiltration.s3-backdoor-bucket-policy'],
    },
    { 's3.amazonaws.com': ['PutBucketPolicy'] },
    (params, record) => {
      const statements = statementsOf(parsePolicy(params?.bucketPolicy) ?? parsePolicy(params?.policy)).filter(
        (s) => s.Effect === 'Allow',
      );
      const outside = [
        ...new Set(statements.flatMap((s) => outsiders(awsPrincipals(s), ownAccount(record), allowed))),
      ].filter((p) => p !== '*');
      if (outside.length === 0) return undefined;
      return `PutBucketPolicy by ${principalOf(record)} grants ${outside.slice(0, 5).join(', ')} access to ${label('bucket', stringAt(params, 'bucketName'))}.`;
    },
  );
}

export const s3BucketPolicyGrantsExternalAccount = createS3BucketPolicyGrantsExternalAccount();

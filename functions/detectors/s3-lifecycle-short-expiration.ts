import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, at, label, listOf, objectsOf, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: the expiry, in days, at or below which a lifecycle rule is a finding; trail buckets raise it to high. */
export interface LifecycleOptions {
  maxDays?: number;
  /** Buckets that hold CloudTrail (or other audit) logs. */
  trailBuckets?: readonly string[];
}

function days(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/** The shortest expiry (current or noncurrent versions) of the enabled rules in a lifecycle configuration. */
function shortestExpiry(configuration: unknown): number | undefined {
  let shortest: number | undefined;
  for (const rule of objectsOf(listOf(at(configuration, 'Rule')).concat(listOf(at(configuration, 'Rules'))))) {
    if (rule.Status !== undefined && rule.Status !== 'Enabled') continue;
    for (const value of [at(rule, 'Expiration', 'Days'), at(rule, 'NoncurrentVersionExpiration', 'NoncurrentDays')]) {
      const found = days(value);
      if (found !== undefined && (shortest === undefined || found < shortest)) shortest = found;
    }
  }
  return shortest;
}

/** An S3 lifecycle rule that deletes objects within days: a slow, quiet way to erase logs. */
export function createS3LifecycleShortExpiration(options: LifecycleOptions = {}) {
  const maxDays = options.maxDays ?? 7;
  const trailBuckets = new Set(options.trailBuckets ?? []);
  return apiCallDetector(
    {
      id: 's3-lifecycle-short-expiration',
      title: 'S3 lifecycle rule with a short expiration',
      description: `S3 PutBucketLifecycle (PutBucketLifecycleConfiguration) with an enabled rule that expires objects or noncurrent versions within ${maxDays} days: medium, high on a configured trail bucket or one whose name contains "cloudtrail". On a log bucket this destroys the audit trail without a single Delete call.`,
      severity: 'medium',
      mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
      references: [
        'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html',
        'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html',
        techniqueUrl('T1562.008'),
      ],
      falsePositives: ['Scratch, temporary-upload or cache buckets with deliberately short retention.'],
      runbook:
        "Read the bucket's lifecycle configuration. On a log bucket: restore the intended retention at once (objects expire asynchronously, within about a day), turn on Object Lock or versioning with MFA delete for logs, and find who else the caller's credentials were used by.",
      failedCalls: FAILED_CALLS.lowerSeverity,
      weaknesses: ['Transitions to cheaper storage and Expiration by Date are not judged.'],
      stratus: ['aws.defense-evasion.cloudtrail-lifecycle-rule'],
    },
    { 's3.amazonaws.com': ['PutBucketLifecycle', 'PutBucketLifecycleConfiguration'] },
    (params, record) => {
      const expiry = shortestExpiry(params?.LifecycleConfiguration ?? params?.lifecycleConfiguration);
      if (expiry === undefined || expiry > maxDays) return undefined;
      const bucket = stringAt(params, 'bucketName');
      const isTrail = bucket !== undefined && (trailBuckets.has(bucket) || bucket.toLowerCase().includes('cloudtrail'));
      return {
        reason: `PutBucketLifecycle by ${principalOf(record)} expires objects of ${label('bucket', bucket)} after ${expiry} day(s).`,
        severity: isTrail ? 'high' : 'medium',
      };
    },
  );
}

export const s3LifecycleShortExpiration = createS3LifecycleShortExpiration();

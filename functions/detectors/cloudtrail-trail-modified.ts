import { apiCallDetector, isFalse, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

// UpdateTrail fields whose change can blind or redirect the trail, and when a value weakens it.
const WEAKENS: Readonly<Record<string, (value: unknown) => boolean>> = {
  s3BucketName: () => true, // logs now go elsewhere, possibly to another account's bucket
  isMultiRegionTrail: isFalse,
  includeGlobalServiceEvents: isFalse, // IAM, STS and other global events no longer recorded
  enableLogFileValidation: isFalse,
  kmsKeyId: (value) => value === '', // encryption removed
  cloudWatchLogsLogGroupArn: (value) => value === '',
  isOrganizationTrail: isFalse,
};

/** CloudTrail `UpdateTrail`; high severity when the change weakens or redirects the trail. */
export const cloudtrailTrailModified = apiCallDetector(
  {
    id: 'cloudtrail-trail-modified',
    title: 'CloudTrail trail modified',
    description:
      'A successful CloudTrail UpdateTrail call. Medium by default; high when it moves delivery to another bucket, makes the trail single-region, drops global service events, turns off log file validation, removes encryption or CloudWatch Logs delivery, or stops it being an organisation trail.',
    severity: 'medium',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: [
      'Planned trail changes from infrastructure-as-code (bucket migration, KMS key rotation to a new key, prefix change).',
    ],
    runbook:
      "Compare the trail's configuration (DescribeTrails) with infrastructure-as-code. If the bucket changed, check who owns the new bucket and that logs arrive there; revert unplanned changes and review the principal's other calls.",
    failedCalls: FAILED_CALLS.ignored,
    weaknesses: [
      'It does not know the previous configuration: setting a field to the value it already had still matches.',
    ],
  },
  { 'cloudtrail.amazonaws.com': ['UpdateTrail'] },
  (params) => {
    const changed = Object.keys(params ?? {}).filter((field) => field !== 'name');
    const weakening = changed.filter((field) => WEAKENS[field]?.(params?.[field]) === true);
    const fields = changed.length > 0 ? changed.join(', ') : 'no fields';
    return {
      reason: `UpdateTrail changed ${fields} of ${label('trail', stringAt(params, 'name'))}${weakening.length > 0 ? ` (weakening: ${weakening.join(', ')})` : ''}.`,
      severity: weakening.length > 0 ? 'high' : 'medium',
    };
  },
);

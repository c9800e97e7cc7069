import { burstDetector, type BurstOptions } from './burst.ts';
import { stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: 20 distinct objects (or versions) deleted by one principal within 10 minutes. */
export const S3_DELETIONS_DEFAULTS: BurstOptions = { threshold: 20, windowMinutes: 10 };
// DeleteObjects removes up to 1,000 objects and CloudTrail does not list them: count it as 20.
const BATCH_WEIGHT = 20;

/** Many S3 objects deleted by one principal (DeleteObject, DeleteObjects): ransomware empties buckets this way. */
export function createS3ObjectsDeletedInBulk(options: Partial<BurstOptions> = {}) {
  const settings = { ...S3_DELETIONS_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 's3-objects-deleted-in-bulk',
        title: 'S3 objects deleted in bulk',
        description: `One principal deleted ${settings.threshold} or more distinct S3 objects or object versions within ${settings.windowMinutes} minutes (DeleteObject; one DeleteObjects call counts as ${BATCH_WEIGHT}, since it removes up to 1,000 objects that CloudTrail does not list). Needs S3 data events in the trail.`,
        severity: 'high',
        mitre: { id: 'T1485', name: 'Data Destruction' },
        references: [
          'https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html',
          'https://aws.amazon.com/blogs/security/anatomy-of-a-ransomware-event-targeting-data-in-amazon-s3/',
          techniqueUrl('T1485'),
        ],
        falsePositives: [
          'Clean-up jobs and applications that manage short-lived objects (a stable principal: suppress it or raise the threshold).',
        ],
        runbook:
          "Check the bucket's versioning and Object Lock: restore deleted versions if they still exist. Revoke the principal's credentials, look for a ransom note (a PutObject right after), and block further deletes with a bucket policy while you investigate.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: [
          'S3 data events are off by default; without them this detector sees nothing.',
          'Lifecycle expirations are done by S3 itself and are not in CloudTrail.',
        ],
        stratus: ['aws.impact.s3-ransomware-individual-deletion', 'aws.impact.s3-ransomware-batch-deletion'],
      },
      events: { 's3.amazonaws.com': ['DeleteObject', 'DeleteObjects'] },
      noun: 'objects',
      verb: 'deleted',
      items(params, record) {
        const bucket = stringAt(params, 'bucketName') ?? '?';
        if (record.eventName === 'DeleteObjects') {
          const id = typeof record.eventID === 'string' ? record.eventID : String(record.eventTime);
          return Array.from({ length: BATCH_WEIGHT }, (_, i) => `${bucket}/(batch ${id} #${i + 1})`);
        }
        const key = stringAt(params, 'key');
        if (!key) return [];
        const version = stringAt(params, 'versionId');
        return [`${bucket}/${key}${version ? `?versionId=${version}` : ''}`];
      },
    },
    settings,
  );
}

export const s3ObjectsDeletedInBulk = createS3ObjectsDeletedInBulk();

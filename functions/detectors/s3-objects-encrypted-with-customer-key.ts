import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

const SSE_C = 'x-amz-server-side-encryption-customer-algorithm';

/** S3 objects written or rewritten with a customer-provided key (SSE-C): the key AWS never keeps. */
export const s3ObjectsEncryptedWithCustomerKey = apiCallDetector(
  {
    id: 's3-objects-encrypted-with-customer-key',
    title: 'S3 object encrypted with a customer-provided key',
    description:
      'S3 PutObject, CopyObject or multipart upload with SSE-C (the x-amz-server-side-encryption-customer-algorithm header): the object can only be read with a key AWS does not store. Ransomware crews rewrite buckets this way and sell the key back. Needs S3 data events in the trail.',
    severity: 'high',
    mitre: { id: 'T1486', name: 'Data Encrypted for Impact' },
    references: [
      'https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html',
      techniqueUrl('T1486'),
    ],
    falsePositives: ['Applications that use SSE-C on purpose (rare; they can be suppressed by principal or bucket).'],
    runbook:
      "Stop the writes: revoke the principal's credentials and deny s3:PutObject with SSE-C by bucket policy (condition on s3:x-amz-server-side-encryption-customer-algorithm). Restore previous object versions if versioning is on, and look for a ransom note.",
    failedCalls: FAILED_CALLS.ignored,
    weaknesses: [
      'Client-side encryption done before upload leaves no trace in CloudTrail; only SSE-C is seen.',
      'One finding per object written.',
    ],
    stratus: ['aws.impact.s3-ransomware-client-side-encryption'],
  },
  { 's3.amazonaws.com': ['PutObject', 'CopyObject', 'CreateMultipartUpload'] },
  (params, record) =>
    stringAt(params, SSE_C) === undefined
      ? undefined
      : `${String(record.eventName)} by ${principalOf(record)} wrote ${label('object', stringAt(params, 'key'))} in ${label('bucket', stringAt(params, 'bucketName'))} with a customer-provided key (SSE-C).`,
);

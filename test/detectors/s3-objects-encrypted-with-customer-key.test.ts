import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { s3ObjectsEncryptedWithCustomerKey as detector } from '../../functions/detectors/s3-objects-encrypted-with-customer-key.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('s3-objects-encrypted-with-customer-key');
// The documented CopyObject of the client-side encryption detonation.
const copy = (extra: Record<string, unknown>) =>
  aCall(
    's3',
    'CopyObject',
    { bucketName: 'target', key: 'file.txt', 'x-amz-copy-source': 'target/file.txt', 'x-id': 'CopyObject', ...extra },
    { eventCategory: 'Data', managementEvent: false },
  );

test('matches an object rewritten with SSE-C', () => {
  assert.equal(detector.detect(copy({ 'x-amz-server-side-encryption-customer-algorithm': 'AES256' })), {
    reason:
      "CopyObject by arn:aws:iam::123456789012:user/alice wrote object 'file.txt' in bucket 'target' with a customer-provided key (SSE-C).",
  });
});

test('ignores KMS or S3-managed encryption and failed writes', () => {
  assert.is(detector.detect(copy({ 'x-amz-server-side-encryption': 'aws:kms' })), undefined);
  assert.is(detector.detect(aFailed(copy({ 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }))), undefined);
});

test.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createS3BucketPolicyGrantsExternalAccount,
  s3BucketPolicyGrantsExternalAccount as detector,
} from '../../functions/detectors/s3-bucket-policy-grants-external-account.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('s3-bucket-policy-grants-external-account');
// CloudTrail records the bucket policy as an object under requestParameters.bucketPolicy.
const put = (principal: unknown) =>
  aCall('s3', 'PutBucketPolicy', {
    bucketName: 'backdoored-bucket',
    bucketPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: principal,
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: ['arn:aws:s3:::backdoored-bucket/*'],
        },
      ],
    },
    policy: '',
  });

test('matches a policy granting a role of another account', () => {
  assert.equal(detector.detect(put({ AWS: 'arn:aws:iam::193672423079:root' })), {
    reason:
      "PutBucketPolicy by arn:aws:iam::123456789012:user/alice grants arn:aws:iam::193672423079:root access to bucket 'backdoored-bucket'.",
  });
});

test('ignores the own account, allow-listed accounts, services and public grants', () => {
  assert.is(detector.detect(put({ AWS: 'arn:aws:iam::123456789012:role/reader' })), undefined);
  assert.is(
    createS3BucketPolicyGrantsExternalAccount({ allowedAccounts: ['193672423079'] }).detect(
      put({ AWS: ['193672423079'] }),
    ),
    undefined,
  );
  assert.is(detector.detect(put({ Service: 'cloudtrail.amazonaws.com' })), undefined);
  assert.is(detector.detect(put('*')), undefined);
});

test.run();

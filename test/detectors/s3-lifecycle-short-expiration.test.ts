import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createS3LifecycleShortExpiration,
  s3LifecycleShortExpiration as detector,
} from '../../functions/detectors/s3-lifecycle-short-expiration.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('s3-lifecycle-short-expiration');
const lifecycle = (bucketName: string, rule: Record<string, unknown>) =>
  aCall('s3', 'PutBucketLifecycle', {
    bucketName,
    LifecycleConfiguration: { Rule: { ID: 'r', Status: 'Enabled', Filter: { Prefix: '' }, ...rule } },
    lifecycle: '',
  });

test('matches a one-day expiry on a CloudTrail bucket at high', () => {
  assert.equal(detector.detect(lifecycle('my-cloudtrail-logs', { Expiration: { Days: 1 } })), {
    severity: 'high',
    reason:
      "PutBucketLifecycle by arn:aws:iam::123456789012:user/alice expires objects of bucket 'my-cloudtrail-logs' after 1 day(s).",
  });
});

test('matches short noncurrent-version expiry on other buckets at medium, and configured trail buckets at high', () => {
  assert.is(
    detector.detect(lifecycle('data', { NoncurrentVersionExpiration: { NoncurrentDays: '3' } }))?.severity,
    undefined,
  );
  assert.is(
    createS3LifecycleShortExpiration({ trailBuckets: ['audit'] }).detect(
      lifecycle('audit', { Expiration: { Days: 2 } }),
    )?.severity,
    'high',
  );
});

test('ignores long retention, disabled rules and transitions', () => {
  assert.is(detector.detect(lifecycle('data', { Expiration: { Days: 365 } })), undefined);
  assert.is(detector.detect(lifecycle('data', { Status: 'Disabled', Expiration: { Days: 1 } })), undefined);
  assert.is(detector.detect(lifecycle('data', { Transition: { Days: 1, StorageClass: 'GLACIER' } })), undefined);
});

test.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { s3BucketMadePublic } from '../../functions/detectors/s3-bucket-made-public.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('s3-bucket-made-public');
const statement = (overrides: Record<string, unknown>) => ({
  Sid: 'Public',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::data/*',
  ...overrides,
});
const putPolicy = (...statements: Record<string, unknown>[]) =>
  aCall('s3', 'PutBucketPolicy', {
    bucketName: 'data',
    bucketPolicy: { Version: '2012-10-17', Statement: statements },
    policy: [''],
  });
const allUsersGrant = {
  Grantee: { 'xsi:type': 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
  Permission: 'READ',
};

test('matches a bucket policy allowing Principal * without a Condition', () => {
  assert.equal(s3BucketMadePublic.detect(putPolicy(statement({}))), {
    reason:
      "PutBucketPolicy requested a policy on bucket 'data' that allows Principal * without a Condition (statement 'Public').",
  });
});

test('matches Principal {AWS: "*"} and a policy recorded as a JSON string', () => {
  assert.ok(s3BucketMadePublic.detect(putPolicy(statement({ Principal: { AWS: '*' } }))));
  const record = aCall('s3', 'PutBucketPolicy', {
    bucketName: 'data',
    bucketPolicy: JSON.stringify({ Statement: statement({ Principal: { AWS: ['*'] } }) }),
  });
  assert.ok(s3BucketMadePublic.detect(record));
});

test('ignores a public statement narrowed by a Condition', () => {
  assert.is(
    s3BucketMadePublic.detect(putPolicy(statement({ Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } }))),
    undefined,
  );
});

test('ignores policies for named principals and Deny statements', () => {
  assert.is(
    s3BucketMadePublic.detect(putPolicy(statement({ Principal: { AWS: 'arn:aws:iam::123456789012:root' } }))),
    undefined,
  );
  assert.is(s3BucketMadePublic.detect(putPolicy(statement({ Effect: 'Deny' }))), undefined);
});

test('matches an ACL granting AllUsers', () => {
  const record = aCall('s3', 'PutBucketAcl', {
    bucketName: 'data',
    AccessControlPolicy: { AccessControlList: { Grant: [allUsersGrant] } },
    acl: [''],
  });
  assert.equal(s3BucketMadePublic.detect(record), {
    reason: "PutBucketAcl requested access for the AllUsers group on bucket 'data'.",
  });
});

test('matches a public canned ACL', () => {
  const match = s3BucketMadePublic.detect(
    aCall('s3', 'PutBucketAcl', { bucketName: 'data', 'x-amz-acl': ['public-read'] }),
  );
  assert.match(match?.reason ?? '', 'canned ACL public-read');
});

test('ignores a private ACL and the log delivery group', () => {
  assert.is(
    s3BucketMadePublic.detect(aCall('s3', 'PutBucketAcl', { bucketName: 'data', 'x-amz-acl': ['private'] })),
    undefined,
  );
  const logDelivery = { Grantee: { URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, Permission: 'WRITE' };
  assert.is(
    s3BucketMadePublic.detect(
      aCall('s3', 'PutBucketAcl', {
        bucketName: 'data',
        AccessControlPolicy: { AccessControlList: { Grant: logDelivery } },
      }),
    ),
    undefined,
  );
});

test('matches the public access block removed from a bucket or the account', () => {
  assert.equal(
    s3BucketMadePublic.detect(
      aCall('s3', 'DeleteBucketPublicAccessBlock', { bucketName: 'data', publicAccessBlock: '' }),
    ),
    {
      reason: "DeleteBucketPublicAccessBlock requested removing Block Public Access from bucket 'data'.",
    },
  );
  assert.match(
    s3BucketMadePublic.detect(aCall('s3', 'DeleteAccountPublicAccessBlock', null))?.reason ?? '',
    "account '123456789012'",
  );
});

test('matches a public access block with a flag turned off, naming the flags', () => {
  const configuration = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: false,
    RestrictPublicBuckets: false,
  };
  const match = s3BucketMadePublic.detect(
    aCall('s3', 'PutBucketPublicAccessBlock', { bucketName: 'data', PublicAccessBlockConfiguration: configuration }),
  );
  assert.is(
    match?.reason,
    "PutBucketPublicAccessBlock requested BlockPublicPolicy, RestrictPublicBuckets false on bucket 'data'.",
  );
});

test('ignores a public access block with all four flags on', () => {
  const configuration = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  };
  assert.is(
    s3BucketMadePublic.detect(
      aCall('s3', 'PutBucketPublicAccessBlock', { bucketName: 'data', PublicAccessBlockConfiguration: configuration }),
    ),
    undefined,
  );
});

test('reports a failed public policy one step lower', () => {
  const match = s3BucketMadePublic.detect(aFailed(putPolicy(statement({}))));
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'S3 bucket made public (failed attempt)');
});

test('ignores GetBucketPolicy and DeleteBucketPolicy', () => {
  assert.is(s3BucketMadePublic.detect(aCall('s3', 'GetBucketPolicy', { bucketName: 'data' })), undefined);
  assert.is(s3BucketMadePublic.detect(aCall('s3', 'DeleteBucketPolicy', { bucketName: 'data' })), undefined);
});

test.run();

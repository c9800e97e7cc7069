import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adminPolicyAttached } from '../../functions/detectors/admin-policy-attached.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('admin-policy-attached');
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const allowAll = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

test('matches AdministratorAccess attached to a role', () => {
  assert.equal(
    adminPolicyAttached.detect(aCall('iam', 'AttachRolePolicy', { roleName: 'ci-deploy', policyArn: ADMIN })),
    {
      reason: "AttachRolePolicy requested AdministratorAccess for role 'ci-deploy'.",
    },
  );
});

test('matches AdministratorAccess attached to a user or a group, in any partition', () => {
  assert.match(
    adminPolicyAttached.detect(aCall('iam', 'AttachUserPolicy', { userName: 'bob', policyArn: ADMIN }))?.reason ?? '',
    "user 'bob'",
  );
  const gov = aCall('iam', 'AttachGroupPolicy', {
    groupName: 'ops',
    policyArn: 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess',
  });
  assert.match(adminPolicyAttached.detect(gov)?.reason ?? '', "group 'ops'");
});

test('ignores other managed policies', () => {
  assert.is(
    adminPolicyAttached.detect(
      aCall('iam', 'AttachRolePolicy', { roleName: 'r', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    ),
    undefined,
  );
  assert.is(
    adminPolicyAttached.detect(
      aCall('iam', 'AttachRolePolicy', {
        roleName: 'r',
        policyArn: 'arn:aws:iam::123456789012:policy/AdministratorAccess',
      }),
    ),
    undefined,
  );
});

test('matches an inline policy allowing * on *', () => {
  assert.equal(
    adminPolicyAttached.detect(
      aCall('iam', 'PutUserPolicy', { userName: 'bob', policyName: 'backdoor', policyDocument: allowAll }),
    ),
    {
      reason: "PutUserPolicy requested inline policy 'backdoor' allowing Action * on Resource * for user 'bob'.",
    },
  );
});

test('matches a URL-encoded inline policy with a single statement object and list fields', () => {
  const document = encodeURIComponent(
    JSON.stringify({ Statement: { Effect: 'Allow', Action: ['s3:GetObject', '*'], Resource: ['*'] } }),
  );
  assert.ok(
    adminPolicyAttached.detect(
      aCall('iam', 'PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: document }),
    ),
  );
});

test('ignores inline policies that are scoped, denying, or unparseable', () => {
  const scoped = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
  const deny = JSON.stringify({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
  for (const policyDocument of [scoped, deny, '{not json', 42, null, ['*']]) {
    assert.is(
      adminPolicyAttached.detect(aCall('iam', 'PutGroupPolicy', { groupName: 'g', policyName: 'p', policyDocument })),
      undefined,
    );
  }
});

test('reports a failed attach one step lower', () => {
  const match = adminPolicyAttached.detect(
    aFailed(aCall('iam', 'AttachUserPolicy', { userName: 'bob', policyArn: ADMIN })),
  );
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'Administrator policy attached (failed attempt)');
});

test('ignores DetachRolePolicy and ListAttachedRolePolicies', () => {
  assert.is(
    adminPolicyAttached.detect(aCall('iam', 'DetachRolePolicy', { roleName: 'r', policyArn: ADMIN })),
    undefined,
  );
  assert.is(adminPolicyAttached.detect(aCall('iam', 'ListAttachedRolePolicies', { roleName: 'r' })), undefined);
});

test.run();

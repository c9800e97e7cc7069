import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createIamRoleTrustPolicyModified,
  iamRoleTrustPolicyModified as detector,
} from '../../functions/detectors/iam-role-trust-policy-modified.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('iam-role-trust-policy-modified');
const trust = (principal: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra }],
  });
const update = (policyDocument: string) =>
  aCall('iam', 'UpdateAssumeRolePolicy', { roleName: 'app-role', policyDocument });

test('matches a trust policy backdoored to an outside account at high', () => {
  assert.equal(detector.detect(update(trust({ AWS: 'arn:aws:iam::193672423079:root' }))), {
    reason:
      "UpdateAssumeRolePolicy by arn:aws:iam::123456789012:user/alice lets arn:aws:iam::193672423079:root assume role 'app-role'.",
  });
});

test('reports any other trust policy change at medium', () => {
  assert.is(detector.detect(update(trust({ Service: 'ec2.amazonaws.com' })))?.severity, 'medium');
});

test('matches a new role that trusts everyone, and not one that trusts a service', () => {
  const open = aCall('iam', 'CreateRole', { roleName: 'r', assumeRolePolicyDocument: trust('*') });
  assert.match(detector.detect(open)?.reason ?? '', 'lets everyone (*) assume');
  assert.is(
    detector.detect(
      aCall('iam', 'CreateRole', {
        roleName: 'r',
        assumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }),
      }),
    ),
    undefined,
  );
});

test('treats allow-listed accounts as inside', () => {
  const tuned = createIamRoleTrustPolicyModified({ allowedAccounts: ['193672423079'] });
  assert.is(tuned.detect(update(trust({ AWS: 'arn:aws:iam::193672423079:root' })))?.severity, 'medium');
});

test('reports a failed backdoor one step lower', () => {
  assert.is(detector.detect(aFailed(update(trust({ AWS: '193672423079' }))))?.severity, 'medium');
});

test.run();

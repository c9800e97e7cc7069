import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { credentialsCreatedForAnotherUser as detector } from '../../functions/detectors/credentials-created-for-another-user.ts';
import { aCall, aFailed, aRootUser, anAssumedRole, anIamUser } from '../helpers/records.ts';

const test = suite('credentials-created-for-another-user');

test('matches an IAM user creating an access key for another user', () => {
  assert.equal(detector.detect(aCall('iam', 'CreateAccessKey', { userName: 'bob' })), {
    reason: "CreateAccessKey requested by arn:aws:iam::123456789012:user/alice for IAM user 'bob'.",
  });
});

test('matches a role session creating or resetting a console password', () => {
  const userIdentity = anAssumedRole('AdminRole', 'mallory');
  assert.ok(
    detector.detect(
      aCall('iam', 'CreateLoginProfile', { userName: 'bob', passwordResetRequired: false }, { userIdentity }),
    ),
  );
  assert.ok(detector.detect(aCall('iam', 'UpdateLoginProfile', { userName: 'bob' }, { userIdentity })));
});

test('matches the root user creating a key for a user', () => {
  assert.ok(detector.detect(aCall('iam', 'CreateAccessKey', { userName: 'bob' }, { userIdentity: aRootUser() })));
});

test('ignores a user creating its own key, named or not', () => {
  assert.is(
    detector.detect(aCall('iam', 'CreateAccessKey', { userName: 'alice' }, { userIdentity: anIamUser() })),
    undefined,
  );
  assert.is(detector.detect(aCall('iam', 'CreateAccessKey', null)), undefined);
});

test('reports a failed attempt one step lower', () => {
  assert.is(detector.detect(aFailed(aCall('iam', 'CreateAccessKey', { userName: 'bob' })))?.severity, 'low');
});

test('ignores DeleteAccessKey and ListAccessKeys', () => {
  assert.is(detector.detect(aCall('iam', 'DeleteAccessKey', { userName: 'bob', accessKeyId: 'AKIA' })), undefined);
  assert.is(detector.detect(aCall('iam', 'ListAccessKeys', { userName: 'bob' })), undefined);
});

test('lowers a helpdesk password reset that forces a new password at next sign-in to low', () => {
  const match = detector.detect(aCall('iam', 'UpdateLoginProfile', { userName: 'bob', passwordResetRequired: true }));
  assert.equal(match, {
    severity: 'low',
    reason:
      "UpdateLoginProfile requested by arn:aws:iam::123456789012:user/alice for IAM user 'bob' with a forced reset at next sign-in.",
  });
  assert.is(
    detector.detect(aCall('iam', 'UpdateLoginProfile', { userName: 'bob', passwordResetRequired: false }))?.severity,
    undefined,
  );
});

test.run();

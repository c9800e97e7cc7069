import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { consoleLoginWithoutMfa } from '../../functions/detectors/console-login-without-mfa.ts';
import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';
import { aCall, aRootUser, anAssumedRole, anIamUser } from '../helpers/records.ts';

const test = suite('console-login-without-mfa');
const login = (
  userIdentity: UserIdentity,
  result = 'Success',
  mfaUsed = 'No',
  overrides: Partial<CloudTrailRecord> = {},
) =>
  aCall('signin', 'ConsoleLogin', null, {
    userIdentity,
    eventType: 'AwsConsoleSignIn',
    responseElements: { ConsoleLogin: result },
    additionalEventData: {
      LoginTo: 'https://console.aws.amazon.com/console/home',
      MobileVersion: 'No',
      MFAUsed: mfaUsed,
    },
    ...overrides,
  });

test('matches an IAM user signing in without MFA at medium', () => {
  assert.equal(consoleLoginWithoutMfa.detect(login(anIamUser())), {
    reason: "IAM user 'alice' signed in to the console without MFA from 192.0.2.10.",
  });
});

test('matches the root user signing in without MFA at high', () => {
  assert.equal(consoleLoginWithoutMfa.detect(login(aRootUser())), {
    severity: 'high',
    reason: 'The root user signed in to the console without MFA from 192.0.2.10.',
  });
});

test('ignores sign-ins with MFA', () => {
  assert.is(consoleLoginWithoutMfa.detect(login(anIamUser(), 'Success', 'Yes')), undefined);
});

test('ignores failed sign-ins', () => {
  assert.is(
    consoleLoginWithoutMfa.detect(login(anIamUser(), 'Failure', 'No', { errorMessage: 'Failed authentication' })),
    undefined,
  );
  assert.is(
    consoleLoginWithoutMfa.detect(login(anIamUser(), 'Success', 'No', { errorCode: 'InternalError' })),
    undefined,
  );
});

test('ignores federated sign-ins, whose MFA happens at the identity provider', () => {
  assert.is(consoleLoginWithoutMfa.detect(login(anAssumedRole('AWSReservedSSO_Admin', 'bob@example.com'))), undefined);
});

test('ignores a sign-in without additionalEventData', () => {
  assert.is(
    consoleLoginWithoutMfa.detect(login(anIamUser(), 'Success', 'No', { additionalEventData: null })),
    undefined,
  );
});

test.run();

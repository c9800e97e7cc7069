import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rootUserActivity } from '../../functions/detectors/root-user-activity.ts';
import { aCall, aFailed, aRecord, aRootUser, anIamUser } from '../helpers/records.ts';

const test = suite('root-user-activity');

test('matches a call by the root user and names service, call and address', () => {
  assert.equal(rootUserActivity.detect(aRecord({ userIdentity: aRootUser() })), {
    reason: 'The root user called ec2:DescribeInstances from 192.0.2.10.',
  });
});

test('matches a successful root console sign-in', () => {
  const record = aCall('signin', 'ConsoleLogin', null, {
    userIdentity: aRootUser(),
    eventType: 'AwsConsoleSignIn',
    responseElements: { ConsoleLogin: 'Success' },
  });
  assert.equal(rootUserActivity.detect(record), {
    reason: 'The root user called signin:ConsoleLogin from 192.0.2.10.',
  });
});

test('reports a failed root sign-in (no errorCode, ConsoleLogin Failure) one step lower', () => {
  const record = aCall('signin', 'ConsoleLogin', null, {
    userIdentity: aRootUser(),
    responseElements: { ConsoleLogin: 'Failure' },
    errorMessage: 'Failed authentication',
  });
  const match = rootUserActivity.detect(record);
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'Root user activity (failed attempt)');
  assert.match(match?.reason ?? '', 'Failed authentication');
});

test('reports a failed root API call one step lower', () => {
  assert.is(rootUserActivity.detect(aFailed(aRecord({ userIdentity: aRootUser() })))?.severity, 'medium');
});

test("ignores calls an AWS service made on the root user's behalf", () => {
  assert.is(
    rootUserActivity.detect(aRecord({ userIdentity: aRootUser({ invokedBy: 'support.amazonaws.com' }) })),
    undefined,
  );
});

test('ignores service events', () => {
  assert.is(rootUserActivity.detect(aRecord({ userIdentity: aRootUser(), eventType: 'AwsServiceEvent' })), undefined);
});

test('ignores IAM users', () => {
  assert.is(rootUserActivity.detect(aRecord({ userIdentity: anIamUser() })), undefined);
});

test.run();

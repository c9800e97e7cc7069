import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createLambdaFunctionSharedExternally,
  lambdaFunctionSharedExternally as detector,
} from '../../functions/detectors/lambda-function-shared-externally.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('lambda-function-shared-externally');
const addPermission = (principal: string, extra: Record<string, unknown> = {}) =>
  aCall('lambda', 'AddPermission20150331v2', {
    action: 'lambda:InvokeFunction',
    functionName: 'backdoor-func',
    principal,
    statementId: 'backdoor',
    ...extra,
  });

test('matches the documented detonation (principal *) at critical', () => {
  assert.equal(detector.detect(addPermission('*')), {
    severity: 'critical',
    reason:
      "AddPermission20150331v2 by arn:aws:iam::123456789012:user/alice allows everyone (*) lambda:InvokeFunction on function 'backdoor-func'.",
  });
});

test('matches another account, and * narrowed by a source condition, at the default high', () => {
  assert.is(detector.detect(addPermission('999988887777'))?.severity, undefined);
  const narrowed = detector.detect(addPermission('*', { sourceAccount: '123456789012' }));
  assert.is(narrowed?.severity, undefined);
  assert.match(narrowed?.reason ?? '', 'narrowed by a source condition');
});

test('ignores service principals, the own account and allow-listed accounts', () => {
  assert.is(detector.detect(addPermission('s3.amazonaws.com', { sourceArn: 'arn:aws:s3:::bucket' })), undefined);
  assert.is(detector.detect(addPermission('123456789012')), undefined);
  assert.is(
    createLambdaFunctionSharedExternally({ allowedAccounts: ['999988887777'] }).detect(addPermission('999988887777')),
    undefined,
  );
});

test.run();

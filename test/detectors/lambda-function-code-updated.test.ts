import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createLambdaFunctionCodeUpdated,
  lambdaFunctionCodeUpdated as detector,
} from '../../functions/detectors/lambda-function-code-updated.ts';
import { aCall, aFailed, anAssumedRole } from '../helpers/records.ts';

const test = suite('lambda-function-code-updated');
const update = (overrides = {}) =>
  aCall('lambda', 'UpdateFunctionCode20150331v2', { functionName: 'billing', publish: false }, overrides);

test('matches code replaced by a caller that is not a deployer', () => {
  assert.equal(detector.detect(update()), {
    reason: "UpdateFunctionCode by arn:aws:iam::123456789012:user/alice replaced the code of function 'billing'.",
  });
});

test('leaves configured deployers out and ignores failed calls', () => {
  const tuned = createLambdaFunctionCodeUpdated({ deployers: [/:assumed-role\/deploy-pipeline\//] });
  assert.is(tuned.detect(update({ userIdentity: anAssumedRole('deploy-pipeline', 'build-42') })), undefined);
  assert.ok(tuned.detect(update()));
  assert.is(detector.detect(aFailed(update())), undefined);
});

test('ignores configuration updates', () => {
  assert.is(
    detector.detect(aCall('lambda', 'UpdateFunctionConfiguration20150331v2', { functionName: 'billing', timeout: 30 })),
    undefined,
  );
});

test.run();

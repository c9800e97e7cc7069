import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createLambdaLayerAttached,
  lambdaLayerAttached as detector,
} from '../../functions/detectors/lambda-layer-attached.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('lambda-layer-attached');
const setLayers = (layers: unknown) =>
  aCall('lambda', 'UpdateFunctionConfiguration20150331v2', { functionName: 'billing', layers });

test('matches a layer of this account at the default low, and one of another account at high', () => {
  const own = detector.detect(setLayers(['arn:aws:lambda:us-east-1:123456789012:layer:ext:1']));
  assert.ok(own);
  assert.is(own.severity, undefined);
  const foreign = detector.detect(setLayers(['arn:aws:lambda:us-east-1:999988887777:layer:ext:3']));
  assert.is(foreign?.severity, 'high');
  assert.match(foreign?.reason ?? '', 'from another account');
});

test('reports layers of trusted accounts (AWS extensions, vendors) at the default low', () => {
  const tuned = createLambdaLayerAttached({ trustedAccounts: ['999988887777'] });
  assert.is(tuned.detect(setLayers(['arn:aws:lambda:us-east-1:999988887777:layer:ext:3']))?.severity, undefined);
});

test('ignores configuration updates without layers', () => {
  assert.is(
    detector.detect(
      aCall('lambda', 'UpdateFunctionConfiguration20150331v2', { functionName: 'billing', memorySize: 512 }),
    ),
    undefined,
  );
  assert.is(detector.detect(setLayers([])), undefined);
});

test.run();

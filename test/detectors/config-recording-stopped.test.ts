import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configRecordingStopped } from '../../functions/detectors/config-recording-stopped.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('config-recording-stopped');

test('matches StopConfigurationRecorder and names the recorder', () => {
  assert.equal(
    configRecordingStopped.detect(
      aCall('config', 'StopConfigurationRecorder', { configurationRecorderName: 'default' }),
    ),
    {
      reason: "StopConfigurationRecorder requested for configuration recorder 'default'.",
    },
  );
});

test('matches DeleteConfigurationRecorder and DeleteDeliveryChannel', () => {
  assert.ok(
    configRecordingStopped.detect(
      aCall('config', 'DeleteConfigurationRecorder', { configurationRecorderName: 'default' }),
    ),
  );
  assert.match(
    configRecordingStopped.detect(aCall('config', 'DeleteDeliveryChannel', { deliveryChannelName: 'default' }))
      ?.reason ?? '',
    "delivery channel 'default'",
  );
});

test('reports a failed stop one step lower', () => {
  assert.is(
    configRecordingStopped.detect(aFailed(aCall('config', 'StopConfigurationRecorder', {})))?.severity,
    'medium',
  );
});

test('ignores StartConfigurationRecorder and DescribeConfigurationRecorders', () => {
  assert.is(
    configRecordingStopped.detect(
      aCall('config', 'StartConfigurationRecorder', { configurationRecorderName: 'default' }),
    ),
    undefined,
  );
  assert.is(configRecordingStopped.detect(aCall('config', 'DescribeConfigurationRecorders')), undefined);
});

test.run();

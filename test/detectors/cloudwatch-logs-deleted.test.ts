import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudwatchLogsDeleted } from '../../functions/detectors/cloudwatch-logs-deleted.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('cloudwatch-logs-deleted');

test('matches DeleteLogGroup and names the group', () => {
  assert.equal(
    cloudwatchLogsDeleted.detect(aCall('logs', 'DeleteLogGroup', { logGroupName: '/aws/lambda/payments' })),
    {
      reason: "DeleteLogGroup deleted log group '/aws/lambda/payments'.",
    },
  );
});

test('matches DeleteLogStream and names stream and group', () => {
  const match = cloudwatchLogsDeleted.detect(
    aCall('logs', 'DeleteLogStream', { logGroupName: 'app', logStreamName: 'i-0abc' }),
  );
  assert.is(match?.reason, "DeleteLogStream deleted stream 'i-0abc' of log group 'app'.");
});

test('ignores failed deletes', () => {
  assert.is(
    cloudwatchLogsDeleted.detect(
      aFailed(aCall('logs', 'DeleteLogGroup', { logGroupName: 'x' }), 'ResourceNotFoundException'),
    ),
    undefined,
  );
});

test('ignores CreateLogGroup and harmless deletes such as DeleteRetentionPolicy', () => {
  assert.is(cloudwatchLogsDeleted.detect(aCall('logs', 'CreateLogGroup', { logGroupName: 'x' })), undefined);
  assert.is(cloudwatchLogsDeleted.detect(aCall('logs', 'DeleteRetentionPolicy', { logGroupName: 'x' })), undefined);
});

test.run();

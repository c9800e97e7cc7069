import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { deletingLogs as detector } from '../../functions/detectors/deleting-logs.ts';
import { MATCH } from '../../functions/detectors/types.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('deleting-logs');

test('matches any Delete* call to CloudWatch Logs or CloudTrail, and StopLogging', () => {
  assert.is(detector.detect(aCall('logs', 'DeleteLogGroup', { logGroupName: '/app' })), MATCH);
  assert.is(detector.detect(aCall('cloudtrail', 'DeleteTrail', { name: 'main' })), MATCH);
  assert.is(detector.detect(aCall('cloudtrail', 'StopLogging', { name: 'main' })), MATCH);
});

test('matches failed calls too, as the workshop did', () => {
  assert.is(detector.detect(aFailed(aCall('logs', 'DeleteLogStream'))), MATCH);
});

test('ignores other services and non-delete calls', () => {
  assert.is(detector.detect(aCall('s3', 'DeleteBucket')), undefined);
  assert.is(detector.detect(aCall('logs', 'CreateLogStream')), undefined);
  assert.is(detector.detect(aCall('cloudtrail', 'StartLogging')), undefined);
});

test.run();

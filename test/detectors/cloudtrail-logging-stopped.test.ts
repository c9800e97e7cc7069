import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudtrailLoggingStopped } from '../../functions/detectors/cloudtrail-logging-stopped.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('cloudtrail-logging-stopped');
const stop = (params: Record<string, unknown> | null = { name: 'management-events' }) =>
  aCall('cloudtrail', 'StopLogging', params);

test('matches StopLogging and names the trail', () => {
  assert.equal(cloudtrailLoggingStopped.detect(stop()), {
    reason: "StopLogging requested for trail 'management-events'.",
  });
});

test('reports a failed StopLogging one step lower as an attempt', () => {
  assert.equal(cloudtrailLoggingStopped.detect(aFailed(stop())), {
    severity: 'medium',
    title: 'CloudTrail logging stopped (failed attempt)',
    reason: "StopLogging requested for trail 'management-events', but the call failed (AccessDenied).",
  });
});

test('still matches when requestParameters is null', () => {
  assert.match(cloudtrailLoggingStopped.detect(stop(null))?.reason ?? '', 'an unnamed trail');
});

test('ignores StartLogging and DescribeTrails', () => {
  assert.is(cloudtrailLoggingStopped.detect(aCall('cloudtrail', 'StartLogging', { name: 'x' })), undefined);
  assert.is(cloudtrailLoggingStopped.detect(aCall('cloudtrail', 'DescribeTrails')), undefined);
});

test('ignores a StopLogging name from another service', () => {
  assert.is(cloudtrailLoggingStopped.detect(aCall('logs', 'StopLogging', { name: 'x' })), undefined);
});

test.run();

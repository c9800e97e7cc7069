import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudtrailTrailModified } from '../../functions/detectors/cloudtrail-trail-modified.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('cloudtrail-trail-modified');
const update = (params: Record<string, unknown>) => aCall('cloudtrail', 'UpdateTrail', { name: 'main', ...params });

test('matches a harmless UpdateTrail at the default medium severity', () => {
  assert.equal(cloudtrailTrailModified.detect(update({ s3KeyPrefix: 'logs' })), {
    reason: "UpdateTrail changed s3KeyPrefix of trail 'main'.",
  });
});

test('raises to high when delivery moves to another bucket', () => {
  const match = cloudtrailTrailModified.detect(update({ s3BucketName: 'attacker-bucket' }));
  assert.is(match?.severity, 'high');
  assert.match(match?.reason ?? '', 'weakening: s3BucketName');
});

test('raises to high when the trail becomes single-region or loses validation', () => {
  assert.is(cloudtrailTrailModified.detect(update({ isMultiRegionTrail: false }))?.severity, 'high');
  assert.is(cloudtrailTrailModified.detect(update({ enableLogFileValidation: 'false' }))?.severity, 'high');
});

test('stays medium when the trail is made stronger', () => {
  assert.is(
    cloudtrailTrailModified.detect(update({ isMultiRegionTrail: true, enableLogFileValidation: true }))?.severity,
    undefined,
  );
});

test('ignores failed UpdateTrail calls', () => {
  assert.is(cloudtrailTrailModified.detect(aFailed(update({ s3BucketName: 'x' }))), undefined);
});

test('ignores DescribeTrails', () => {
  assert.is(cloudtrailTrailModified.detect(aCall('cloudtrail', 'DescribeTrails')), undefined);
});

test.run();

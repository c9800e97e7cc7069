import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudtrailTrailDeleted } from '../../functions/detectors/cloudtrail-trail-deleted.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('cloudtrail-trail-deleted');
const trailArn = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail';

test('matches DeleteTrail and names the trail', () => {
  assert.equal(cloudtrailTrailDeleted.detect(aCall('cloudtrail', 'DeleteTrail', { name: trailArn })), {
    reason: `DeleteTrail requested for trail '${trailArn}'.`,
  });
});

test('reports a failed DeleteTrail at medium as an attempt', () => {
  const match = cloudtrailTrailDeleted.detect(
    aFailed(aCall('cloudtrail', 'DeleteTrail', { name: 'x' }), 'TrailNotFoundException'),
  );
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'CloudTrail trail deleted (failed attempt)');
  assert.match(match?.reason ?? '', 'TrailNotFoundException');
});

test('ignores CreateTrail and DescribeTrails', () => {
  assert.is(cloudtrailTrailDeleted.detect(aCall('cloudtrail', 'CreateTrail', { name: 'x' })), undefined);
  assert.is(cloudtrailTrailDeleted.detect(aCall('cloudtrail', 'DescribeTrails')), undefined);
});

test.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudtrailEventSelectorsDropManagement as detector } from '../../functions/detectors/cloudtrail-event-selectors-drop-management.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('cloudtrail-event-selectors-drop-management');
const put = (params: Record<string, unknown>) =>
  aCall('cloudtrail', 'PutEventSelectors', { trailName: 'main', ...params });
const s3Data = { type: 'AWS::S3::Object', values: ['arn:aws:s3'] };
const managementCategory = { field: 'eventCategory', equals: ['Management'] };

test('matches basic selectors that exclude management events', () => {
  assert.equal(
    detector.detect(
      put({ eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false, dataResources: [s3Data] }] }),
    ),
    {
      reason: "PutEventSelectors requested on trail 'main' where no event selector includes management events.",
    },
  );
});

test('matches basic selectors limited to read-only management events', () => {
  assert.match(
    detector.detect(put({ eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: true }] }))?.reason ??
      '',
    'only ReadOnly',
  );
});

test('matches basic selectors that exclude a management event source', () => {
  const record = put({
    eventSelectors: [
      { readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: ['kms.amazonaws.com'] },
    ],
  });
  assert.match(detector.detect(record)?.reason ?? '', 'kms.amazonaws.com are excluded');
});

test('does not match when one basic selector logs all management events', () => {
  const record = put({
    eventSelectors: [
      { readWriteType: 'All', includeManagementEvents: true },
      { readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [s3Data] },
    ],
  });
  assert.is(detector.detect(record), undefined);
});

test('treats omitted readWriteType and includeManagementEvents as their All / true defaults', () => {
  assert.is(detector.detect(put({ eventSelectors: [{ dataResources: [s3Data] }] })), undefined);
});

test('matches advanced selectors without a management selector', () => {
  const record = put({
    advancedEventSelectors: [{ name: 'S3 only', fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }],
  });
  assert.match(detector.detect(record)?.reason ?? '', 'no advanced event selector logs management events');
});

test('matches an advanced management selector narrowed to read-only', () => {
  const record = put({
    advancedEventSelectors: [{ fieldSelectors: [managementCategory, { field: 'readOnly', equals: ['true'] }] }],
  });
  assert.match(detector.detect(record)?.reason ?? '', 'narrowed by readOnly');
});

test('does not match an advanced selector logging all management events', () => {
  assert.is(
    detector.detect(put({ advancedEventSelectors: [{ name: 'Management', fieldSelectors: [managementCategory] }] })),
    undefined,
  );
});

test('reports a failed call as a high-to-medium attempt', () => {
  const match = detector.detect(aFailed(put({ eventSelectors: [{ includeManagementEvents: false }] })));
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'CloudTrail event selectors drop management events (failed attempt)');
});

test('ignores GetEventSelectors and parameters without selectors', () => {
  assert.is(detector.detect(aCall('cloudtrail', 'GetEventSelectors', { trailName: 'main' })), undefined);
  assert.is(detector.detect(put({ eventSelectors: 'odd' })), undefined);
});

test.run();

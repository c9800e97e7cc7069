import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { guarddutyDisabled } from '../../functions/detectors/guardduty-disabled.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('guardduty-disabled');
const detectorId = '12abc34d567e8fa901bc2d34e56789f0';

test('matches DeleteDetector and names detector and region', () => {
  assert.equal(guarddutyDisabled.detect(aCall('guardduty', 'DeleteDetector', { detectorId })), {
    reason: `DeleteDetector requested for GuardDuty detector '${detectorId}' in us-east-1.`,
  });
});

test('matches UpdateDetector that suspends the detector', () => {
  assert.match(
    guarddutyDisabled.detect(aCall('guardduty', 'UpdateDetector', { detectorId, enable: false }))?.reason ?? '',
    'enable false',
  );
});

test('ignores UpdateDetector that only changes the publishing frequency or enables', () => {
  assert.is(
    guarddutyDisabled.detect(
      aCall('guardduty', 'UpdateDetector', { detectorId, findingPublishingFrequency: 'SIX_HOURS' }),
    ),
    undefined,
  );
  assert.is(guarddutyDisabled.detect(aCall('guardduty', 'UpdateDetector', { detectorId, enable: true })), undefined);
});

test('matches leaving the administrator account, old and new names', () => {
  assert.ok(guarddutyDisabled.detect(aCall('guardduty', 'DisassociateFromAdministratorAccount', { detectorId })));
  assert.ok(guarddutyDisabled.detect(aCall('guardduty', 'DisassociateFromMasterAccount', { detectorId })));
});

test('reports a failed DeleteDetector one step lower', () => {
  const match = guarddutyDisabled.detect(aFailed(aCall('guardduty', 'DeleteDetector', { detectorId })));
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'GuardDuty disabled (failed attempt)');
});

test('ignores ListDetectors and CreateDetector', () => {
  assert.is(guarddutyDisabled.detect(aCall('guardduty', 'ListDetectors')), undefined);
  assert.is(guarddutyDisabled.detect(aCall('guardduty', 'CreateDetector', { enable: true })), undefined);
});

test.run();

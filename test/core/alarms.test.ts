import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectorAlarm, WORKSHOP_ALARM } from '../../functions/core/alarms.ts';

const workshop = suite('WORKSHOP_ALARM');

workshop(
  'is the workshop\u2019s rule: Sum of AnomaliesDetected >= 1 over one 60 s period, missing data not breaching',
  () => {
    assert.equal(
      { ...WORKSHOP_ALARM },
      {
        name: 'AnomaliesDetected',
        metric: 'AnomaliesDetected',
        statistic: 'Sum',
        periodSeconds: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      },
    );
  },
);

workshop.run();

const perDetector = suite('detectorAlarm');

perDetector('is the workshop rule narrowed to the Detector dimension, named for the detector', () => {
  const rule = detectorAlarm('deleting-logs');
  assert.is(rule.name, 'AnomaliesDetected-deleting-logs');
  assert.equal(rule.dimensions, { Detector: 'deleting-logs' });
  assert.equal(
    { ...rule, name: WORKSHOP_ALARM.name, dimensions: undefined },
    { ...WORKSHOP_ALARM, dimensions: undefined },
  );
});

perDetector('does not change the workshop rule it derives from', () => {
  detectorAlarm('deleting-logs');
  assert.is(WORKSHOP_ALARM.dimensions, undefined);
  assert.is(WORKSHOP_ALARM.name, 'AnomaliesDetected');
});

perDetector.run();

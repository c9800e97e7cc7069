import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateAlarm } from '../../cli/local/alarm-evaluation.ts';
import { type AlarmRule, detectorAlarm, WORKSHOP_ALARM } from '../../functions/core/alarms.ts';
import type { MetricDatum } from '../../functions/core/ports.ts';

const AT = new Date('2017-11-28T19:10:30Z');
const PERIOD_START = '2017-11-28T19:10:00.000Z';

/** An AnomaliesDetected datum; override any field. */
const anomalies = (value: number, overrides: Partial<MetricDatum> = {}): MetricDatum => ({
  name: 'AnomaliesDetected',
  value,
  unit: 'Count',
  timestamp: new Date('2017-11-28T19:10:10Z'),
  ...overrides,
});

const evaluate = suite('evaluateAlarm');

evaluate('Sum >= 1 in the current 60 s period is ALARM, with the sum in the reason', () => {
  const result = evaluateAlarm(WORKSHOP_ALARM, [anomalies(3)], AT);
  assert.is(result.name, 'AnomaliesDetected');
  assert.is(result.state, 'ALARM');
  assert.equal(result.datapoints, [{ periodStart: PERIOD_START, value: 3 }]);
  assert.match(result.reason, 'Threshold crossed');
  assert.match(result.reason, '[3]');
});

evaluate('data of one period are summed: two datums of 0 and 1 reach the threshold', () => {
  const result = evaluateAlarm(
    WORKSHOP_ALARM,
    [anomalies(0), anomalies(1, { timestamp: new Date('2017-11-28T19:10:59.999Z') })],
    AT,
  );
  assert.is(result.state, 'ALARM');
  assert.equal(result.datapoints, [{ periodStart: PERIOD_START, value: 1 }]);
});

evaluate('a published 0 is OK', () => {
  const result = evaluateAlarm(WORKSHOP_ALARM, [anomalies(0)], AT);
  assert.is(result.state, 'OK');
  assert.equal(result.datapoints, [{ periodStart: PERIOD_START, value: 0 }]);
  assert.match(result.reason, 'Threshold not crossed');
});

evaluate('no data is OK (missing data not breaching)', () => {
  const result = evaluateAlarm(WORKSHOP_ALARM, [], AT);
  assert.is(result.state, 'OK');
  assert.equal(result.datapoints, [{ periodStart: PERIOD_START, value: null }]);
  assert.match(result.reason, 'no data');
});

evaluate('data of an earlier period, or of the next, do not count now', () => {
  const earlier = anomalies(5, { timestamp: new Date('2017-11-28T19:09:59.999Z') });
  const later = anomalies(5, { timestamp: new Date('2017-11-28T19:11:00Z') });
  assert.is(evaluateAlarm(WORKSHOP_ALARM, [earlier, later], AT).state, 'OK');
  // The period starts on the minute: a datum exactly on it is in.
  assert.is(
    evaluateAlarm(WORKSHOP_ALARM, [anomalies(1, { timestamp: new Date('2017-11-28T19:10:00Z') })], AT).state,
    'ALARM',
  );
});

evaluate('timestamps read back from JSON (strings) count like dates', () => {
  const datum = { ...anomalies(2), timestamp: '2017-11-28T19:10:10.000Z' as unknown as Date };
  assert.is(evaluateAlarm(WORKSHOP_ALARM, [datum], AT).state, 'ALARM');
});

evaluate('the total alarm counts only the datum without dimensions, not the per-detector ones', () => {
  const perDetector = anomalies(4, { dimensions: { Detector: 'deleting-logs' } });
  assert.is(evaluateAlarm(WORKSHOP_ALARM, [perDetector], AT).state, 'OK');
  assert.is(evaluateAlarm(WORKSHOP_ALARM, [perDetector, anomalies(4)], AT).datapoints[0]?.value, 4);
});

evaluate('other metrics do not count', () => {
  assert.is(evaluateAlarm(WORKSHOP_ALARM, [anomalies(9, { name: 'ObjectsAnalyzed' })], AT).state, 'OK');
});

evaluate('with several evaluation periods, ALARM needs every one to breach', () => {
  const rule: AlarmRule = { ...WORKSHOP_ALARM, evaluationPeriods: 2 };
  const previous = anomalies(1, { timestamp: new Date('2017-11-28T19:09:30Z') });
  const both = evaluateAlarm(rule, [previous, anomalies(1)], AT);
  assert.is(both.state, 'ALARM');
  assert.equal(both.datapoints, [
    { periodStart: '2017-11-28T19:09:00.000Z', value: 1 },
    { periodStart: PERIOD_START, value: 1 },
  ]);
  assert.is(evaluateAlarm(rule, [anomalies(1)], AT).state, 'OK');
});

evaluate('counts its detector\u2019s datum only: not the total, not another detector, not extra dimensions', () => {
  const rule = detectorAlarm('deleting-logs');
  assert.is(evaluateAlarm(rule, [anomalies(1, { dimensions: { Detector: 'deleting-logs' } })], AT).state, 'ALARM');
  assert.is(evaluateAlarm(rule, [anomalies(5)], AT).state, 'OK');
  assert.is(evaluateAlarm(rule, [anomalies(5, { dimensions: { Detector: 'root-user-activity' } })], AT).state, 'OK');
  assert.is(
    evaluateAlarm(rule, [anomalies(5, { dimensions: { Detector: 'deleting-logs', Region: 'us-east-1' } })], AT).state,
    'OK',
  );
});

evaluate.run();

/**
 * An alarm rule as CloudWatch defines one; the CDK stack creates these alarms and the local sink
 * (cli/local/alarm-evaluation.ts) evaluates the same rules.
 */
export interface AlarmRule {
  name: string;
  metric: string;
  dimensions?: Record<string, string>;
  statistic: 'Sum';
  periodSeconds: number;
  evaluationPeriods: number;
  threshold: number;
  comparison: 'GreaterThanOrEqualToThreshold';
  treatMissingData: 'notBreaching';
}

/** The workshop's alarm: AnomaliesDetected, Sum >= 1 over 60 s, one evaluation period. */
export const WORKSHOP_ALARM: AlarmRule = {
  name: 'AnomaliesDetected',
  metric: 'AnomaliesDetected',
  statistic: 'Sum',
  periodSeconds: 60,
  evaluationPeriods: 1,
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  treatMissingData: 'notBreaching',
};

/** The same rule narrowed to one detector (dimension `Detector`). */
export function detectorAlarm(detectorId: string): AlarmRule {
  return { ...WORKSHOP_ALARM, name: `AnomaliesDetected-${detectorId}`, dimensions: { Detector: detectorId } };
}

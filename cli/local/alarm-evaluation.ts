import type { AlarmRule } from '../../functions/core/alarms.ts';
import type { MetricDatum } from '../../functions/core/ports.ts';

// Local only: CloudWatch evaluates the stack's alarms in AWS; on a laptop the local metrics sink
// evaluates the same rules (functions/core/alarms.ts) with this.

export type AlarmState = 'OK' | 'ALARM';

export interface AlarmEvaluation {
  name: string;
  state: AlarmState;
  reason: string;
  /** The statistic per evaluated period, oldest first (missing periods count as not breaching). */
  datapoints: { periodStart: string; value: number | null }[];
}

/**
 * Evaluates an alarm the way CloudWatch does for this rule shape: the statistic of each of the
 * last `evaluationPeriods` periods up to `at`, missing data not breaching; ALARM when every
 * evaluated period breaches.
 */
export function evaluateAlarm(rule: AlarmRule, data: readonly MetricDatum[], at: Date): AlarmEvaluation {
  const period = rule.periodSeconds * 1000;
  const lastStart = Math.floor(at.getTime() / period) * period;
  const datapoints: AlarmEvaluation['datapoints'] = [];
  for (let i = rule.evaluationPeriods - 1; i >= 0; i--) {
    const start = lastStart - i * period;
    const inPeriod = data.filter(
      (d) =>
        d.name === rule.metric && sameDimensions(d.dimensions, rule.dimensions) && inRange(d.timestamp, start, period),
    );
    datapoints.push({
      periodStart: new Date(start).toISOString(),
      value: inPeriod.length ? inPeriod.reduce((s, d) => s + d.value, 0) : null,
    });
  }
  const breaching = datapoints.every((p) => p.value !== null && p.value >= rule.threshold);
  const shown = datapoints.map((p) => (p.value === null ? 'no data' : String(p.value))).join(', ');
  return {
    name: rule.name,
    state: breaching ? 'ALARM' : 'OK',
    reason: breaching
      ? `Threshold crossed: ${rule.statistic} of ${rule.metric} [${shown}] >= ${rule.threshold} over ${rule.evaluationPeriods} period(s) of ${rule.periodSeconds} s`
      : `Threshold not crossed: ${rule.statistic} of ${rule.metric} [${shown}] < ${rule.threshold}`,
    datapoints,
  };
}

function sameDimensions(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {})
    .sort()
    .join();
  const right = Object.entries(b ?? {})
    .sort()
    .join();
  return left === right;
}

function inRange(timestamp: Date | string, start: number, period: number): boolean {
  const t = new Date(timestamp).getTime();
  return t >= start && t < start + period;
}

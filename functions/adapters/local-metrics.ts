import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { evaluateAlarm, type AlarmEvaluation, type AlarmRule } from '../core/alarms.ts';
import type { MetricDatum, MetricsSink } from '../core/ports.ts';

/**
 * Metrics on a laptop: datums appended to a JSON-lines file in the store, and the same alarm
 * rules as the cloud evaluated over them.
 */
export class LocalMetrics implements MetricsSink {
  constructor(
    private readonly file: string,
    private readonly rules: readonly AlarmRule[],
  ) {}

  async publish(namespace: string, data: MetricDatum[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, data.map((d) => JSON.stringify({ namespace, ...d })).join('\n') + '\n');
  }

  /** Every datum published so far. */
  async data(namespace?: string): Promise<MetricDatum[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as MetricDatum & { namespace: string })
      .filter((d) => namespace === undefined || d.namespace === namespace)
      .map((d) => ({ ...d, timestamp: new Date(d.timestamp) }));
  }

  /** Each alarm's state as CloudWatch would compute it at `at`. */
  async evaluate(namespace: string, at: Date): Promise<AlarmEvaluation[]> {
    const data = await this.data(namespace);
    return this.rules.map((rule) => evaluateAlarm(rule, data, at));
  }
}

import { appendFile, type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AlarmRule } from '../../functions/core/alarms.ts';
import type { MetricDatum, MetricsSink } from '../../functions/core/ports.ts';
import { type AlarmEvaluation, evaluateAlarm } from './alarm-evaluation.ts';

/**
 * Metrics on a laptop: datums appended to a JSON-lines file in the store, and the same alarm
 * rules as the cloud evaluated over them.
 */
export class LocalMetrics implements MetricsSink {
  /**
   * Lines of the file the last read could not use (a write torn by a killed run, or an edit):
   * skipped, so that one bad line never stops later audits, and counted so they can be reported.
   */
  unreadableLines = 0;

  constructor(
    private readonly file: string,
    private readonly rules: readonly AlarmRule[],
  ) {}

  async publish(namespace: string, data: MetricDatum[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    // After a torn write the file ends mid-line: start on a fresh line, or this run's first datum
    // would be glued to the torn one and lost with it.
    const separator = (await endsMidLine(this.file)) ? '\n' : '';
    await appendFile(this.file, `${separator + data.map((d) => JSON.stringify({ namespace, ...d })).join('\n')}\n`);
  }

  /** Every datum published so far; unreadable lines are skipped and counted in {@link unreadableLines}. */
  async data(namespace?: string): Promise<MetricDatum[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const data: MetricDatum[] = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const datum = parseDatum(line);
      if (!datum) unreadable++;
      else if (namespace === undefined || datum.namespace === namespace) data.push(datum);
    }
    this.unreadableLines = unreadable;
    return data;
  }

  /** Each alarm's state as CloudWatch would compute it at `at`. */
  async evaluate(namespace: string, at: Date): Promise<AlarmEvaluation[]> {
    const data = await this.data(namespace);
    return this.rules.map((rule) => evaluateAlarm(rule, data, at));
  }
}

/** One line as a datum, or undefined when it is not one (torn, edited, or another shape). */
function parseDatum(line: string): (MetricDatum & { namespace: string }) | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const d = raw as Partial<MetricDatum & { namespace: string; timestamp: string }>;
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof d.name !== 'string' ||
    typeof d.value !== 'number' ||
    typeof d.namespace !== 'string'
  )
    return undefined;
  const timestamp = new Date(d.timestamp as string);
  if (Number.isNaN(timestamp.getTime())) return undefined;
  return { ...(raw as MetricDatum & { namespace: string }), timestamp };
}

async function endsMidLine(file: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

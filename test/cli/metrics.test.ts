import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalMetrics } from '../../cli/local/metrics.ts';
import { WORKSHOP_ALARM, detectorAlarm } from '../../functions/core/alarms.ts';
import type { MetricDatum } from '../../functions/core/ports.ts';
import { tempDir } from '../helpers/local.ts';

const AT = new Date('2017-11-28T19:10:30Z');
const datum = (name: string, value: number, overrides: Partial<MetricDatum> = {}): MetricDatum => ({
  name,
  value,
  unit: 'Count',
  timestamp: new Date('2017-11-28T19:10:10Z'),
  ...overrides,
});

const metrics = suite<{ dir: string; cleanup: () => Promise<void> }>('LocalMetrics', {
  dir: '',
  cleanup: async () => {},
});

metrics.before.each(async (context) => {
  Object.assign(context, await tempDir());
});

metrics.after.each(async ({ cleanup }) => {
  await cleanup();
});

metrics('reads back what it published, timestamps as dates, in order', async ({ dir }) => {
  const sink = new LocalMetrics(join(dir, 'metrics.jsonl'), []);
  const data = [
    datum('AnomaliesDetected', 3),
    datum('AnomaliesDetected', 2, { dimensions: { Detector: 'deleting-logs' } }),
    datum('ObjectsAnalyzed', 4),
  ];
  await sink.publish('TrailAuditor', data);
  assert.equal(
    await sink.data(),
    data.map((d) => ({ namespace: 'TrailAuditor', ...d })),
  );
  assert.instance((await sink.data())[0]?.timestamp, Date);
});

metrics('appends: a second instance on the same file reads both runs', async ({ dir }) => {
  const file = join(dir, 'store', 'metrics.jsonl');
  await new LocalMetrics(file, []).publish('TrailAuditor', [datum('AnomaliesDetected', 14)]);
  await new LocalMetrics(file, []).publish('TrailAuditor', [
    datum('AnomaliesDetected', 0, { timestamp: new Date('2017-11-28T19:12:00Z') }),
  ]);
  const read = await new LocalMetrics(file, []).data('TrailAuditor');
  assert.equal(
    read.map((d) => d.value),
    [14, 0],
  );
  assert.is((await readFile(file, 'utf8')).trim().split('\n').length, 2);
});

metrics('filters by namespace', async ({ dir }) => {
  const sink = new LocalMetrics(join(dir, 'metrics.jsonl'), []);
  await sink.publish('TrailAuditor', [datum('AnomaliesDetected', 1)]);
  await sink.publish('Other', [datum('AnomaliesDetected', 7)]);
  assert.equal(
    (await sink.data('Other')).map((d) => d.value),
    [7],
  );
  assert.is((await sink.data()).length, 2);
});

metrics('no file yet means no data and every alarm OK', async ({ dir }) => {
  const sink = new LocalMetrics(join(dir, 'never-written.jsonl'), [WORKSHOP_ALARM]);
  assert.equal(await sink.data(), []);
  assert.equal(
    (await sink.evaluate('TrailAuditor', AT)).map((a) => [a.name, a.state]),
    [['AnomaliesDetected', 'OK']],
  );
});

metrics('evaluates each rule over its own namespace, as CloudWatch would at that time', async ({ dir }) => {
  const file = join(dir, 'metrics.jsonl');
  await new LocalMetrics(file, []).publish('TrailAuditor', [
    datum('AnomaliesDetected', 3),
    datum('AnomaliesDetected', 3, { dimensions: { Detector: 'deleting-logs' } }),
    datum('AnomaliesDetected', 0, { dimensions: { Detector: 'root-user-activity' } }),
  ]);
  await new LocalMetrics(file, []).publish('Elsewhere', [
    datum('AnomaliesDetected', 1, { dimensions: { Detector: 'root-user-activity' } }),
  ]);
  const sink = new LocalMetrics(file, [
    WORKSHOP_ALARM,
    detectorAlarm('deleting-logs'),
    detectorAlarm('root-user-activity'),
  ]);
  assert.equal(
    (await sink.evaluate('TrailAuditor', AT)).map((a) => [a.name, a.state]),
    [
      ['AnomaliesDetected', 'ALARM'],
      ['AnomaliesDetected-deleting-logs', 'ALARM'],
      ['AnomaliesDetected-root-user-activity', 'OK'],
    ],
  );
  // A minute later the period holds no data: OK again.
  assert.equal(
    (await sink.evaluate('TrailAuditor', new Date('2017-11-28T19:11:30Z'))).map((a) => a.state),
    ['OK', 'OK', 'OK'],
  );
});

metrics(
  'a torn last line is skipped and counted, and the next publish starts on a line of its own',
  async ({ dir }) => {
    const file = join(dir, 'metrics.jsonl');
    const sink = new LocalMetrics(file, [WORKSHOP_ALARM]);
    await sink.publish('TrailAuditor', [datum('AnomaliesDetected', 2)]);
    // A run killed mid-write leaves half a JSON object and no newline.
    await appendFile(file, '{"namespace":"TrailAuditor","name":"Anomalies');
    assert.equal(
      (await sink.data('TrailAuditor')).map((d) => d.value),
      [2],
    );
    assert.is(sink.unreadableLines, 1);
    await sink.publish('TrailAuditor', [datum('AnomaliesDetected', 5)]);
    assert.equal(
      (await sink.data('TrailAuditor')).map((d) => d.value),
      [2, 5],
    );
    assert.is(sink.unreadableLines, 1);
    assert.equal(
      (await sink.evaluate('TrailAuditor', AT)).map((a) => a.state),
      ['ALARM'],
    );
  },
);

metrics('lines that are JSON but not a datum are skipped and counted too', async ({ dir }) => {
  const file = join(dir, 'metrics.jsonl');
  await writeFile(file, '[1,2]\n{"namespace":"TrailAuditor","name":"AnomaliesDetected","value":"x"}\nnull\n');
  const sink = new LocalMetrics(file, []);
  assert.equal(await sink.data(), []);
  assert.is(sink.unreadableLines, 3);
});

metrics.run();

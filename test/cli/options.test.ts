import { InvalidArgumentError } from 'commander';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkIds, checkRange, didYouMean, UsageError, wholeNumber } from '../../cli/options.ts';
import { fitTable, truncate, wrap } from '../../cli/table.ts';
import { duration, finalLine, progressLine, progressReporter } from '../../cli/progress.ts';
import type { RunProgress } from '../../cli/local/runner.ts';

const numbers = suite('wholeNumber');

numbers('accepts whole numbers in range and refuses words, fractions, signs and out-of-range values', () => {
  const parse = wholeNumber(0, 100);
  assert.is(parse('0'), 0);
  assert.is(parse(' 42 '), 42);
  for (const bad of ['abc', '', '1.5', '1e3', '-5', '101', '0x10', 'NaN'])
    assert.throws(
      () => parse(bad),
      (e: unknown) => e instanceof InvalidArgumentError,
      bad,
    );
  assert.throws(() => wholeNumber(1)('0'), /whole number >= 1/);
});

numbers.run();

const range = suite('checkRange');

range('both or neither; a date-only --to is the whole day, so from = to is a one-day range', () => {
  assert.is(checkRange(undefined, undefined), undefined);
  assert.equal(checkRange('2017-11-28', '2017-11-28'), { from: '2017-11-28', to: '2017-11-28' });
  assert.throws(() => checkRange('2017-11-28', undefined), /go together/);
  assert.throws(() => checkRange(undefined, undefined, true), /required/);
  assert.throws(() => checkRange(undefined, '2017-11-28', true), /--from is required/);
});

range('from after to names both values as typed, so the two dates differ', () => {
  try {
    checkRange('2017-11-29', '2017-11-28');
    assert.unreachable();
  } catch (error) {
    assert.instance(error, UsageError);
    assert.match(
      (error as Error).message,
      /^--from 2017-11-29 must be before --to 2017-11-28 \(a date --to includes that whole day, up to 2017-11-29T00:00:00Z\)$/,
    );
  }
  assert.throws(
    () => checkRange('2017-11-28T10:00:00Z', '2017-11-28T10:00:00Z'),
    /--from 2017-11-28T10:00:00Z must be before --to 2017-11-28T10:00:00Z$/,
  );
  assert.throws(() => checkRange('2017-02-30', '2017-03-01'), /--from "2017-02-30" is not an ISO date/);
});

range.run();

const ids = suite('checkIds and didYouMean');

ids('suggests the nearest id for a typo, nothing for an unrelated word', () => {
  const known = ['deleting-logs', 'root-user-activity', 'cloudtrail-logging-stopped'];
  assert.is(didYouMean('deleting-log', known), 'deleting-logs');
  assert.is(didYouMean('Root-User-Activty', known), 'root-user-activity');
  assert.is(didYouMean('banana', known), undefined);
  assert.is(didYouMean('scheduleMinute', ['stackName', 'scheduleMinutes']), 'scheduleMinutes');
  assert.not.throws(() => checkIds(['deleting-logs'], known, '--detector-alarm'));
  assert.throws(
    () => checkIds(['deleting-logs', 'root-usr-activity'], known, '--detector-alarm'),
    /--detector-alarm: unknown detector "root-usr-activity" \(did you mean root-user-activity\?\)/,
  );
  assert.throws(() => checkIds(['banana'], known, '--detector'), /^--detector: unknown detector "banana"; /);
});

ids.run();

const table = suite('fitTable, truncate and wrap');

table('a table wider than the width cuts the listed columns, in order, with an ellipsis', () => {
  const rows = [['a-very-long-detector-identifier', 'high', 'A title that goes on and on and on and on']];
  const out = fitTable(['ID', 'SEVERITY', 'TITLE'], rows, 50, [2, 0]);
  const lines = out.split('\n');
  assert.ok(
    lines.every((line) => [...line].length <= 50),
    out,
  );
  // The title gives way first, down to 12 columns, then the id.
  assert.is(lines[1], 'a-very-long-detector-iden…  high      A title tha…');
  assert.is(fitTable(['ID'], [['short']], 50, [0]), 'ID\nshort');
});

table('truncate counts characters, not bytes; wrap keeps every word within the width', () => {
  assert.is(truncate('ééééé', 5), 'ééééé');
  assert.is(truncate('éééééé', 5), 'éééé…');
  const text = 'Deleting the trail or its log group removes the evidence an attacker leaves behind them.';
  const wrapped = wrap(text, 30, '  ', '    ');
  assert.ok(
    wrapped.split('\n').every((line) => line.length <= 30),
    wrapped,
  );
  assert.is(wrapped.replace(/\s+/g, ' ').trim(), text);
  assert.ok(
    wrapped
      .split('\n')
      .slice(1)
      .every((line) => line.startsWith('    ')),
  );
  assert.ok(
    wrap('x'.repeat(70), 30)
      .split('\n')
      .every((line) => line.length <= 30),
  );
});

table.run();

const progress = suite('progressReporter');

const at = (done: number, objects: number, records: number): RunProgress => ({
  items: { done, planned: 4 },
  objects: { done: objects, planned: 800 },
  records,
  bytes: records * 1000,
});

progress('on a terminal: one rewritten line with objects, records per second and an ETA; cleared at the end', () => {
  const written: string[] = [];
  let now = 0;
  const reporter = progressReporter({ isTTY: true, write: (text) => written.push(text) }, () => now);
  now = 500;
  reporter.update(at(0, 0, 0)); // Too early: short runs show no progress.
  now = 2000;
  reporter.update(at(1, 200, 10_000));
  now = 2100;
  reporter.update(at(2, 400, 20_000)); // Too soon after the last line.
  now = 4000;
  reporter.update(at(2, 400, 20_000));
  assert.equal(written, [
    '\r\x1b[K  analyzing 200/800 objects (25%)  5,000 records/s  ETA 6.0 s',
    '\r\x1b[K  analyzing 400/800 objects (50%)  5,000 records/s  ETA 4.0 s',
  ]);
  now = 8000;
  assert.is(reporter.finish(), '  took      8.0 s: 400 objects, 20,000 records (2,500 records/s, 2.5 MB/s)');
  assert.is(written.at(-1), '\r\x1b[K');
});

progress('elsewhere (a pipe, a log file): nothing at all, not one carriage return, but the final line', () => {
  const written: string[] = [];
  let now = 0;
  const reporter = progressReporter({ isTTY: false, write: (text) => written.push(text) }, () => now);
  for (let i = 1; i <= 4; i++) {
    now = i * 5000;
    reporter.update(at(i, i * 200, i * 1000));
  }
  assert.equal(written, []);
  assert.match(reporter.finish(), /^ {2}took {6}20\.0 s: 800 objects, 4,000 records/);
});

progress('durations read as people say them', () => {
  assert.is(duration(860), '0.9 s');
  assert.is(duration(65_000), '1m 05s');
  assert.is(duration(2 * 3600_000 + 60_000), '2h 01m');
  assert.is(finalLine(undefined, 1200), '  took      1.2 s');
  assert.is(progressLine(at(0, 0, 0), 0), '  analyzing 0/800 objects (0%)');
});

progress.run();

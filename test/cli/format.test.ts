import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeControl, escapeLines, formatFindings, formatSummary, table } from '../../cli/format.ts';
import type { RunSummary } from '../../functions/core/payloads.ts';
import { aFinding } from '../helpers/findings.ts';

const ESC = '\u001b';
const BEL = '\u0007';
/** Anything a terminal acts on: C0 (tab, CR, LF included), DEL, C1, bidi controls, line separators. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

const escape = suite('escapeControl');

escape('clear-screen, window-title and hyperlink sequences become visible text', () => {
  assert.is(escapeControl(`${ESC}[2J${ESC}[H`), '\\x1B[2J\\x1B[H');
  assert.is(escapeControl(`${ESC}]0;owned${BEL}`), '\\x1B]0;owned\\x07');
  assert.is(
    escapeControl(`${ESC}]8;;http://203.0.113.9/${BEL}click${ESC}]8;;${BEL}`),
    '\\x1B]8;;http://203.0.113.9/\\x07click\\x1B]8;;\\x07',
  );
});

escape('CR, LF and tab cannot forge lines; DEL, the one-byte CSI and bidi overrides are shown too', () => {
  assert.is(escapeControl('a\r\nb\tc'), 'a\\x0D\\x0Ab\\x09c');
  assert.is(escapeControl('\u007f\u009b2J'), '\\x7F\\x9B2J');
  assert.is(escapeControl('user/\u202Enimda\u2066x\u2069'), 'user/\\u202Enimda\\u2066x\\u2069');
  assert.is(escapeControl('line\u2028sep'), 'line\\u2028sep');
});

escape('ordinary text, including non-Latin letters and emoji, is unchanged', () => {
  for (const text of ['arn:aws:iam::123456789012:user/alice', 'Zoë → Ωmega 日本 🙂', '192.0.2.10', '2001:db8::1'])
    assert.is(escapeControl(text), text);
});

escape('escapeLines keeps meant line breaks and escapes the rest', () => {
  assert.is(escapeLines(`one\ntwo${ESC}[31m\r`), 'one\ntwo\\x1B[31m\\x0D');
});

escape.run();

// ---------------------------------------------------------------------------------------------

const tables = suite('table');

tables('a cell with CR LF cannot add a row, and every cell is escaped', () => {
  const out = table(['A', 'B'], [[`x\r\nforged  row`, `${ESC}[2J`]]);
  assert.is(out.split('\n').length, 2);
  assert.not.ok(RAW.test(out.replace(/\n/g, '')));
});

tables.run();

// ---------------------------------------------------------------------------------------------

const summary = suite('formatSummary');

const aSummary = (failures: RunSummary['failures']): RunSummary => ({
  runId: `run${ESC}]0;t${BEL}`,
  mode: 'backfill',
  window: { start: '2017-11-28T00:00:00.000Z', end: '2017-11-29T00:00:00.000Z' },
  complete: true,
  batches: { planned: 1, reported: 1 },
  objects: { listed: 2, analyzed: 1, skipped: 0, failed: 1 },
  skippedRecords: 0,
  failedRecords: 0,
  records: 5,
  bytes: 100,
  findings: { new: 1, duplicate: 0, suppressed: 0, byDetector: { [`sigma-x${ESC}[2J`]: 1 } },
  suppressedByRule: {},
  failures,
});

summary('failed object keys and reasons, detector ids and errors are printed escaped, one line each', () => {
  const out = formatSummary(
    aSummary([
      {
        key: `AWSLogs/x/Bad${ESC}[2J\r\nforged.json.gz`,
        reason: `invalid JSON near "${ESC}]8;;http://203.0.113.9/${BEL}"`,
      },
    ]),
    'SUCCEEDED',
    [],
    { error: 'States.TaskFailed', cause: `boom${ESC}[H\nfake line` },
  );
  assert.not.ok(RAW.test(out.replace(/\n/g, '')), out);
  assert.match(out, 'Bad\\x1B[2J\\x0D\\x0Aforged.json.gz: invalid JSON near');
  assert.match(out, 'boom\\x1B[H\\x0Afake line');
});

summary.run();

// ---------------------------------------------------------------------------------------------

const findings = suite('formatFindings');

findings('a finding whose fields carry escapes and a forged row prints as one escaped row', () => {
  const out = formatFindings([
    aFinding({
      principal: `arn:aws:iam::123456789012:user/m${ESC}[2J`,
      sourceIPAddress: '192.0.2.66\r\n2017-11-28T00:00:00Z  low  forged',
      eventName: `Stop${BEL}`,
    }),
  ]);
  assert.is(out.split('\n').length, 2);
  assert.not.ok(RAW.test(out.replace(/\n/g, '')));
});

findings.run();

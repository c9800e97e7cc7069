import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { csvCell, groupFindings, shortId, shortIdTime, showFinding, toCsv } from '../../cli/commands/findings-view.ts';
import { escapeHtml, renderReport, scriptJson } from '../../cli/commands/report-html.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { aFinding } from '../helpers/findings.ts';
import { mulberry32 } from '../helpers/prng.ts';

const short = suite('shortId');

short('encodes the event time and a hash; the time comes back exactly', () => {
  const finding = aFinding({ eventTime: '2017-11-28T19:05:41Z' });
  const id = shortId(finding);
  assert.match(id, /^[0-9a-z]{1,8}-[0-9a-f]{4}$/);
  assert.is(shortIdTime(id)?.eventTime, '2017-11-28T19:05:41Z');
  assert.is.not(shortId(aFinding({ eventTime: '2017-11-28T19:05:41Z' })), id);
});

short('an event time not in CloudTrail form gives the full id (it stays usable)', () => {
  for (const eventTime of ['2017-11-28T19:05:41.123Z', '-', 'yesterday', '1969-12-31T23:59:59Z']) {
    const finding = aFinding({ eventTime });
    assert.is(shortId(finding), finding.id);
  }
  assert.is(shortIdTime('deleting-logs#abc'), undefined);
  assert.is(shortIdTime('zzzzzzzzz-0000'), undefined);
});

short.run();

// ---------------------------------------------------------------------------------------------

const csv = suite('csvCell');

csv('cells a spreadsheet would run as a formula are prefixed; quotes doubled', () => {
  assert.is(csvCell('=HYPERLINK("http://203.0.113.9")'), `"'=HYPERLINK(""http://203.0.113.9"")"`);
  for (const lead of ['+', '-', '@', '\t', '\r']) assert.is(csvCell(`${lead}1`), `"'${lead}1"`);
  assert.is(csvCell('-'), '"-"');
  assert.is(csvCell('192.0.2.10'), '"192.0.2.10"');
  assert.is(csvCell(undefined), '""');
  assert.is(toCsv(['a', 'b'], [{ a: 'x', b: '=1' }]), `"a","b"\r\n"x","'=1"\r\n`);
});

csv.run();

// ---------------------------------------------------------------------------------------------

const group = suite('groupFindings');

const burst = [
  aFinding({ eventTime: '2017-11-28T19:00:00Z', sourceIPAddress: '192.0.2.1' }),
  aFinding({ eventTime: '2017-11-28T19:40:00Z', sourceIPAddress: '192.0.2.2' }),
  aFinding({ eventTime: '2017-11-28T20:30:00Z', sourceIPAddress: '192.0.2.1' }),
  // 2 h later: a new group for the same key.
  aFinding({ eventTime: '2017-11-28T22:31:00Z', sourceIPAddress: '198.51.100.7' }),
  aFinding({ eventTime: '2017-11-28T19:10:00Z', principal: 'arn:aws:iam::123456789012:user/bob' }),
  aFinding({ eventTime: '2017-11-28T19:20:00Z', account: '210987654321' }),
  aFinding({ eventTime: '2017-11-28T19:30:00Z', detector: 'root-user-activity', severity: 'critical' }),
];

group(
  'same detector, principal and account within the window fold into one row with count, times and addresses',
  () => {
    const groups = groupFindings(burst, 3_600_000);
    assert.is(groups.length, 5);
    const alice = groups.filter(
      (g) => g.detector === 'deleting-logs' && g.principal.endsWith('alice') && g.account === '123456789012',
    );
    assert.equal(
      alice.map((g) => [g.count, g.firstTime, g.lastTime, g.sourceIPs]),
      [
        [1, '2017-11-28T22:31:00Z', '2017-11-28T22:31:00Z', ['198.51.100.7']],
        [3, '2017-11-28T19:00:00Z', '2017-11-28T20:30:00Z', ['192.0.2.1', '192.0.2.2']],
      ],
    );
  },
);

group('the groups do not depend on the order the findings came in', () => {
  const expected = groupFindings(burst, 3_600_000);
  const random = mulberry32(41);
  for (let round = 0; round < 20; round++) {
    const shuffled = random.shuffle(burst);
    assert.equal(groupFindings(shuffled, 3_600_000), expected);
  }
});

group.run();

// ---------------------------------------------------------------------------------------------

const show = suite('showFinding');

show('prints the finding, reason, runbook and pretty record; nothing raw from the record', () => {
  const record = { eventName: 'StopLogging', userAgent: 'x\u001b]0;t\u0007\u009b2J\u202E' };
  const finding = aFinding({
    record: JSON.stringify(record),
    reason: 'stopped \u001b[2J',
    userAgent: record.userAgent,
  });
  const detector = BUILT_IN_DETECTORS.find((d) => d.meta.id === 'deleting-logs');
  const out = showFinding(finding, detector);
  // eslint-disable-next-line no-control-regex
  assert.not.ok(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/u.test(out), out);
  assert.match(out, `reason     stopped \\x1B[2J`);
  assert.match(out, detector!.meta.runbook.slice(0, 40));
  assert.match(out, '  {\n    "eventName": "StopLogging",');
});

show.run();

// ---------------------------------------------------------------------------------------------

const html = suite('renderReport');

html('data is escaped in markup and inert in the script data block', () => {
  assert.is(escapeHtml(`<img src=x onerror='a'>&`), '&lt;img src=x onerror=&#39;a&#39;&gt;&amp;');
  assert.not.match(scriptJson({ ua: '</script><script>alert(1)</script>\u2028' }), /<|\u2028/);
  const hostile = aFinding({
    principal: 'arn:aws:iam::123456789012:user/<b>x</b>',
    userAgent: '</script><img src=x onerror=alert(1)>',
  });
  const page = renderReport({
    generatedAt: '2026-12-02T00:00:00Z',
    scope: '<i>all</i>',
    matches: [hostile],
    rows: [hostile],
  });
  assert.not.match(page, '<b>x</b>');
  assert.not.match(page, '<img');
  assert.not.match(page, '<i>all</i>');
  assert.is(page.match(/<\/script>/g)?.length, 2);
});

html.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildLogKey, dayPrefix, daysBetween, parseTrailKey } from '../../functions/core/trail-keys.ts';

const parse = suite('parseTrailKey');

parse('reads account, region, date and stamp of a single-account trail key', () => {
  assert.equal(
    parseTrailKey(
      'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1905Z_A1b2C3d4E5f6G7h8.json.gz',
    ),
    {
      kind: 'log',
      key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1905Z_A1b2C3d4E5f6G7h8.json.gz',
      trailPrefix: '',
      account: '123456789012',
      region: 'us-east-1',
      date: '2017-11-28',
      stamp: '2017-11-28T19:05:00Z',
    },
  );
});

parse('reads the organisation id of an organisation trail key and a trail prefix', () => {
  const key =
    'audit/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/eu-west-1/2026/01/31/123456789012_CloudTrail_eu-west-1_20260131T2355Z_x.json.gz';
  const parsed = parseTrailKey(key);
  assert.is(parsed.kind, 'log');
  if (parsed.kind !== 'log') return;
  assert.is(parsed.orgId, 'o-a1b2c3d4e5');
  assert.is(parsed.trailPrefix, 'audit');
  assert.is(parsed.account, '123456789012');
  assert.is(parsed.region, 'eu-west-1');
});

parse('skips digest, Insights and non-log objects with a reason', () => {
  assert.is(parseTrailKey('AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2017/11/28/d.json.gz').kind, 'digest');
  assert.is(parseTrailKey('AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2017/11/28/i.json.gz').kind, 'insight');
  assert.is(parseTrailKey('AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/notes.txt').kind, 'other');
  assert.is(parseTrailKey('AWSLogs/123456789012/elasticloadbalancing/us-east-1/2017/11/28/x.log.gz').kind, 'other');
  assert.is(parseTrailKey('README').kind, 'other');
});

parse.run();

const build = suite('buildLogKey');

build('builds keys that parse back to the same scope and stamp, in both layouts', () => {
  const stamp = new Date('2026-02-28T23:55:00Z');
  for (const scope of [
    { trailPrefix: '', account: '123456789012' },
    { trailPrefix: 'p', orgId: 'o-a1b2c3d4e5', account: '123456789012' },
  ]) {
    const parsed = parseTrailKey(buildLogKey(scope, 'ap-southeast-2', stamp, 'Abc'));
    assert.is(parsed.kind, 'log');
    if (parsed.kind !== 'log') return;
    assert.is(parsed.stamp, '2026-02-28T23:55:00Z');
    assert.is(parsed.orgId, scope.orgId);
    assert.is(parsed.region, 'ap-southeast-2');
  }
});

build('day prefixes are zero-padded date folders', () => {
  assert.is(
    dayPrefix({ trailPrefix: '', account: '123456789012' }, 'us-east-1', '2017-01-05'),
    'AWSLogs/123456789012/CloudTrail/us-east-1/2017/01/05/',
  );
});

build.run();

const days = suite('daysBetween');

days('lists each UTC day across a month end, inclusive', () => {
  assert.equal(daysBetween(new Date('2026-01-30T23:00:00Z'), new Date('2026-02-01T00:30:00Z')), [
    '2026-01-30',
    '2026-01-31',
    '2026-02-01',
  ]);
});

days.run();

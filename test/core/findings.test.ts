import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildFinding, eventIdOf, findingId, MAX_RECORD_BYTES } from '../../functions/core/findings.ts';
import { deletingLogs } from '../../functions/detectors/deleting-logs.ts';
import { aRecord } from '../helpers/records.ts';

const context = { objectKey: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/f.json.gz', runId: 'run-1', detectedAt: '2026-11-30T00:00:00.000Z' };
const stop = (overrides = {}) => aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', ...overrides });

const build = suite('buildFinding');

build('keys a finding by detector and eventID alone, with the contract fields filled', () => {
  const finding = buildFinding(deletingLogs.meta, {}, stop({ eventID: 'e-1', errorCode: 'AccessDenied' }), context);
  assert.is(finding.id, findingId('deleting-logs', 'e-1'));
  assert.is(finding.id, 'deleting-logs#e-1');
  assert.is(finding.principal, 'arn:aws:iam::123456789012:user/alice');
  assert.is(finding.account, '123456789012');
  assert.is(finding.errorCode, 'AccessDenied');
  assert.is(finding.severity, 'high');
  assert.is(finding.recordTruncated, false);
});

build('a record without eventID gets the same digest id on every run', () => {
  const record = stop({ eventID: undefined });
  assert.is(eventIdOf(record), eventIdOf(structuredClone(record)));
  assert.match(eventIdOf(record), /^sha256-[0-9a-f]{32}$/);
});

build('cuts an oversized record by UTF-8 bytes, so the item still fits DynamoDB', () => {
  // 200,000 three-byte characters: under the limit in characters, twice over it in bytes.
  const finding = buildFinding(deletingLogs.meta, {}, stop({ requestParameters: { note: '€'.repeat(200_000) } }), context);
  assert.is(finding.recordTruncated, true);
  assert.ok(Buffer.byteLength(finding.record) <= MAX_RECORD_BYTES);
  assert.not.match(finding.record, /\uFFFD$/);
});

build.run();

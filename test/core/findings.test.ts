import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildFinding,
  eventIdOf,
  findingId,
  MAX_KEY_FIELD_BYTES,
  MAX_RECORD_BYTES,
} from '../../functions/core/findings.ts';
import { deletingLogs } from '../../functions/detectors/deleting-logs.ts';
import { aRecord } from '../helpers/records.ts';

const context = {
  objectKey: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/f.json.gz',
  runId: 'run-1',
  detectedAt: '2026-11-30T00:00:00.000Z',
};
const stop = (overrides = {}) =>
  aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', ...overrides });

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
  const finding = buildFinding(
    deletingLogs.meta,
    {},
    stop({ requestParameters: { note: '€'.repeat(200_000) } }),
    context,
  );
  assert.is(finding.recordTruncated, true);
  assert.ok(Buffer.byteLength(finding.record) <= MAX_RECORD_BYTES);
  assert.not.match(finding.record, /\uFFFD$/);
});

build('cuts every 1 MB field of a hostile record so the item stays under 400 KB and its keys fit', () => {
  const mb = 'a'.repeat(1024 * 1024);
  const arn = `arn:aws:iam::123456789012:user/${mb}`;
  const record = stop({ userAgent: mb, eventID: mb, eventTime: mb, sourceIPAddress: mb, eventName: mb });
  record.userIdentity = { type: 'IAMUser', arn, accountId: mb };
  record.recipientAccountId = mb;
  const finding = buildFinding(deletingLogs.meta, { reason: mb }, record, context);
  const itemBytes = Object.entries(finding).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v)),
    0,
  );
  assert.ok(itemBytes < 400 * 1024, `item of ${itemBytes} bytes`);
  // Table key: 2048 bytes at most; GSI keys: 2048 (partition), 1024 (sort).
  assert.ok(Buffer.byteLength(finding.id) <= 1024);
  for (const field of ['principal', 'account', 'eventTime', 'detector', 'runId', 'detectedAt'] as const) {
    assert.ok(Buffer.byteLength(finding[field]) <= MAX_KEY_FIELD_BYTES, field);
  }
  assert.ok(finding.principal.endsWith('…[cut]'));
  assert.equal(finding.cutFields?.sort(), [
    'account',
    'eventID',
    'eventName',
    'eventTime',
    'principal',
    'reason',
    'sourceIPAddress',
    'userAgent',
  ]);
  assert.is(finding.recordTruncated, true);
});

build('serialises a record nested 100,000 deep without overflowing the stack', () => {
  let deep: unknown = {};
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  const finding = buildFinding(
    deletingLogs.meta,
    {},
    stop({ eventID: undefined, requestParameters: deep as Record<string, unknown> }),
    context,
  );
  assert.is(finding.recordTruncated, true);
  assert.match(finding.record, 'nested too deep');
  assert.match(finding.id, /^deleting-logs#sha256-/);
});

build.run();

const ids = suite('findingId');

ids('an eventID over the key limit is replaced by a stable digest; a normal one is kept', () => {
  const long = 'e'.repeat(3000);
  assert.is(findingId('deleting-logs', long), findingId('deleting-logs', long));
  assert.match(findingId('deleting-logs', long), /^deleting-logs#sha256-[0-9a-f]{32}$/);
  assert.is(
    findingId('deleting-logs', '3f1a2b4c-0000-4000-8000-000000000001'),
    'deleting-logs#3f1a2b4c-0000-4000-8000-000000000001',
  );
});

ids.run();

import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../../functions/core/cloudtrail.ts';
import { correlateInMemory } from '../../../functions/core/correlation.ts';
import { loadSigmaFolder } from '../../../functions/detectors/sigma/loader.ts';
import { aRecord, aRootUser, anIamUser } from '../../helpers/records.ts';

const EXAMPLES = fileURLToPath(new URL('../../../examples/sigma/', import.meta.url));

/** An AuthorizeSecurityGroupIngress call for the given IPv4 and IPv6 ranges. */
function ingress(cidrIps: string[], cidrIpv6s: string[] = []): CloudTrailRecord {
  return aRecord({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    readOnly: false,
    requestParameters: {
      groupId: 'sg-0123456789abcdef0',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            ipRanges: { items: cidrIps.map((cidrIp) => ({ cidrIp })) },
            ipv6Ranges: { items: cidrIpv6s.map((cidrIpv6) => ({ cidrIpv6 })) },
          },
        ],
      },
    },
  });
}

/** A ConsoleLogin event as signin.amazonaws.com writes it. */
function consoleLogin(mfaUsed: 'Yes' | 'No', overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord {
  return aRecord({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventType: 'AwsConsoleSignIn',
    readOnly: false,
    userIdentity: anIamUser({ accessKeyId: undefined }),
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: {
      LoginTo: 'https://console.aws.amazon.com/console/home',
      MobileVersion: 'No',
      MFAUsed: mfaUsed,
    },
    ...overrides,
  });
}

/** For each example rule: events it must match and events it must not. */
const CASES: Record<string, { positive: CloudTrailRecord[]; negative: CloudTrailRecord[] }> = {
  'sigma-cloudtrail-logging-stopped-or-trail-deleted': {
    positive: [
      aRecord({
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'StopLogging',
        requestParameters: { name: 'management-trail' },
      }),
      aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'DeleteTrail' }),
    ],
    negative: [
      aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StartLogging' }),
      aRecord({ eventSource: 'logs.amazonaws.com', eventName: 'StopLogging' }),
    ],
  },
  'sigma-security-group-ingress-opened-to-the-internet': {
    positive: [ingress(['192.0.2.0/24', '0.0.0.0/0']), ingress([], ['::/0'])],
    negative: [
      ingress(['192.0.2.0/24']),
      aRecord({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'AuthorizeSecurityGroupEgress',
        requestParameters: ingress(['0.0.0.0/0']).requestParameters ?? null,
      }),
    ],
  },
  'sigma-console-login-without-mfa': {
    positive: [consoleLogin('No'), consoleLogin('No', { userIdentity: aRootUser() })],
    negative: [
      consoleLogin('Yes'),
      consoleLogin('No', { responseElements: { ConsoleLogin: 'Failure' } }),
      consoleLogin('No', {
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/alice' },
      }),
    ],
  },
  'sigma-guardduty-detector-deleted': {
    positive: [
      aRecord({
        eventSource: 'guardduty.amazonaws.com',
        eventName: 'DeleteDetector',
        requestParameters: { detectorId: '12abc34d567e8fa901bc2d34e56789f0' },
      }),
    ],
    negative: [aRecord({ eventSource: 'guardduty.amazonaws.com', eventName: 'CreateDetector' })],
  },
};

/** `count` GetSecretValue calls by one principal, 30 s apart from 19:00, for secrets s0, s1, ... */
function secretReads(
  count: number,
  principal = 'arn:aws:iam::123456789012:user/alice',
  distinct = count,
): CloudTrailRecord[] {
  return Array.from({ length: count }, (_, index) =>
    aRecord({
      eventSource: 'secretsmanager.amazonaws.com',
      eventName: 'GetSecretValue',
      eventTime: new Date(Date.parse('2017-11-28T19:00:00Z') + index * 30_000).toISOString().replace('.000Z', 'Z'),
      userIdentity: anIamUser({ arn: principal }),
      requestParameters: { secretId: `prod/s${index % distinct}` },
    }),
  );
}

/** `count` failed console sign-ins from `address`, 30 s apart from 19:00. */
function loginFailures(count: number, address = '203.0.113.5'): CloudTrailRecord[] {
  return Array.from({ length: count }, (_, index) =>
    consoleLogin('No', {
      sourceIPAddress: address,
      responseElements: { ConsoleLogin: 'Failure' },
      eventTime: new Date(Date.parse('2017-11-28T19:00:00Z') + index * 30_000).toISOString().replace('.000Z', 'Z'),
    }),
  );
}

/** `count` successful CreateAccessKey calls by `principal`, `hoursApart` apart, each for another user. */
function keysCreated(count: number, hoursApart: number, overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord[] {
  return Array.from({ length: count }, (_, index) =>
    aRecord({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateAccessKey',
      eventTime: new Date(Date.parse('2017-11-28T19:00:00Z') + index * hoursApart * 3_600_000).toISOString(),
      userIdentity: anIamUser({ arn: 'arn:aws:iam::123456789012:user/mallory' }),
      requestParameters: { userName: `user${index}` },
      ...overrides,
    }),
  );
}

/** For each windowed example rule: traffic that must give exactly `verdicts` findings. */
const WINDOW_CASES: Record<string, { records: CloudTrailRecord[]; verdicts: number }[]> = {
  'sigma-secrets-read-in-bulk-by-one-principal': [
    { records: secretReads(11), verdicts: 1 },
    { records: secretReads(10), verdicts: 0 },
    // Many reads of the same few secrets: an application, not a harvest.
    { records: secretReads(30, undefined, 3), verdicts: 0 },
    { records: [...secretReads(6), ...secretReads(6, 'arn:aws:iam::123456789012:user/bob')], verdicts: 0 },
  ],
  // No timeframe: any 24 h window, across midnight UTC too.
  'sigma-access-keys-created-in-bulk-by-one-principal': [
    { records: keysCreated(6, 3), verdicts: 1 },
    { records: keysCreated(5, 1), verdicts: 0 },
    // Six keys, one every 6 h: at most five fall in any 24 h.
    { records: keysCreated(6, 6), verdicts: 0 },
    { records: keysCreated(6, 1, { errorCode: 'LimitExceeded' }), verdicts: 0 },
  ],
  'sigma-console-password-guessing-from-one-address': [
    { records: loginFailures(10), verdicts: 1 },
    { records: loginFailures(9), verdicts: 0 },
    { records: [...loginFailures(5), ...loginFailures(5, '198.51.100.7')], verdicts: 0 },
  ],
};

const ExampleRules = suite('examples/sigma');

ExampleRules('every example rule loads, none is ignored or refused, each has a test case', async () => {
  const { detectors, ignored, refused, warnings, notes } = await loadSigmaFolder(EXAMPLES);
  assert.equal({ ignored, refused, warnings }, { ignored: [], refused: [], warnings: [] });
  // The one example without a timeframe is named at load, with the window it gets.
  assert.equal(
    notes.map(({ rule, note }) => [rule, note.includes('any 24h window')]),
    [['sigma-access-keys-created-in-bulk-by-one-principal', true]],
  );
  assert.equal(
    detectors.map((detector) => detector.meta.id).sort(),
    [...Object.keys(CASES), ...Object.keys(WINDOW_CASES)].sort(),
  );
});

ExampleRules('each windowed example rule fires on its burst and not on ordinary traffic', async () => {
  const { detectors } = await loadSigmaFolder(EXAMPLES);
  for (const detector of detectors) {
    if (detector.kind !== 'correlating') continue;
    for (const [index, { records, verdicts }] of WINDOW_CASES[detector.meta.id]!.entries()) {
      const found = await correlateInMemory(detector, [{ key: 'AWSLogs/o.json.gz', records }]);
      assert.is(found.length, verdicts, `${detector.meta.id} case #${index + 1}`);
    }
  }
});

ExampleRules('each example rule matches its positive events and not its negative ones', async () => {
  const { detectors } = await loadSigmaFolder(EXAMPLES);
  for (const detector of detectors) {
    if (detector.kind !== 'stateless') continue;
    const cases = CASES[detector.meta.id]!;
    for (const [index, record] of cases.positive.entries())
      assert.ok(detector.detect(record), `${detector.meta.id} misses positive #${index + 1}`);
    for (const [index, record] of cases.negative.entries())
      assert.is(detector.detect(record), undefined, `${detector.meta.id} matches negative #${index + 1}`);
  }
});

ExampleRules('example rules carry a severity, a MITRE technique, references and false positives', async () => {
  const { detectors } = await loadSigmaFolder(EXAMPLES);
  for (const { meta } of detectors) {
    assert.match(meta.mitre.id, /^T\d{4}(\.\d{3})?$/, meta.id);
    assert.ok(meta.references.length > 0, meta.id);
    assert.ok(meta.falsePositives.length > 0, meta.id);
    assert.ok(['medium', 'high'].includes(meta.severity), meta.id);
  }
});

ExampleRules.run();

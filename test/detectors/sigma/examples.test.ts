import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../../functions/core/cloudtrail.ts';
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
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfaUsed },
    ...overrides,
  });
}

/** For each example rule: events it must match and events it must not. */
const CASES: Record<string, { positive: CloudTrailRecord[]; negative: CloudTrailRecord[] }> = {
  'sigma-cloudtrail-logging-stopped-or-trail-deleted': {
    positive: [
      aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', requestParameters: { name: 'management-trail' } }),
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
      aRecord({ eventSource: 'ec2.amazonaws.com', eventName: 'AuthorizeSecurityGroupEgress', requestParameters: ingress(['0.0.0.0/0']).requestParameters ?? null }),
    ],
  },
  'sigma-console-login-without-mfa': {
    positive: [consoleLogin('No'), consoleLogin('No', { userIdentity: aRootUser() })],
    negative: [
      consoleLogin('Yes'),
      consoleLogin('No', { responseElements: { ConsoleLogin: 'Failure' } }),
      consoleLogin('No', { userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/alice' } }),
    ],
  },
  'sigma-guardduty-detector-deleted': {
    positive: [aRecord({ eventSource: 'guardduty.amazonaws.com', eventName: 'DeleteDetector', requestParameters: { detectorId: '12abc34d567e8fa901bc2d34e56789f0' } })],
    negative: [aRecord({ eventSource: 'guardduty.amazonaws.com', eventName: 'CreateDetector' })],
  },
};

const ExampleRules = suite('examples/sigma');

ExampleRules('every example rule loads, none is ignored, each has a test case', async () => {
  const { detectors, ignored } = await loadSigmaFolder(EXAMPLES);
  assert.equal(ignored, []);
  assert.equal(detectors.map((detector) => detector.meta.id).sort(), Object.keys(CASES).sort());
});

ExampleRules('each example rule matches its positive events and not its negative ones', async () => {
  const { detectors } = await loadSigmaFolder(EXAMPLES);
  for (const detector of detectors) {
    const cases = CASES[detector.meta.id]!;
    cases.positive.forEach((record, index) => assert.ok(detector.detect(record), `${detector.meta.id} misses positive #${index + 1}`));
    cases.negative.forEach((record, index) => assert.is(detector.detect(record), undefined, `${detector.meta.id} matches negative #${index + 1}`));
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

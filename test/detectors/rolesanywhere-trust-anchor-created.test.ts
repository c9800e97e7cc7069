import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rolesanywhereTrustAnchorCreated as detector } from '../../functions/detectors/rolesanywhere-trust-anchor-created.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('rolesanywhere-trust-anchor-created');

test('matches the documented CreateTrustAnchor at high', () => {
  const record = aCall('rolesanywhere', 'CreateTrustAnchor', {
    enabled: true,
    name: 'malicious-rolesanywhere-trust-anchor',
    source: {
      sourceData: { x509CertificateData: '-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----' },
      sourceType: 'CERTIFICATE_BUNDLE',
    },
  });
  assert.equal(detector.detect(record), {
    reason:
      "CreateTrustAnchor requested by arn:aws:iam::123456789012:user/alice (name 'malicious-rolesanywhere-trust-anchor').",
  });
});

test('matches the profile that hands out roles at medium', () => {
  const record = aCall('rolesanywhere', 'CreateProfile', {
    name: 'p',
    roleArns: ['arn:aws:iam::123456789012:role/anchor-role'],
    durationSeconds: 3600,
  });
  assert.is(detector.detect(record)?.severity, 'medium');
});

test('ignores sessions and listing', () => {
  assert.is(detector.detect(aCall('rolesanywhere', 'ListTrustAnchors')), undefined);
  assert.is(detector.detect(aCall('rolesanywhere', 'CreateSession')), undefined);
});

test.run();

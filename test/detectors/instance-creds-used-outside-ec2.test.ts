import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceCredsUsedOutsideEc2 as detector } from '../../functions/detectors/instance-creds-used-outside-ec2.ts';
import { MATCH } from '../../functions/detectors/types.ts';
import { aRecord, anAssumedRole, anInstanceSession } from '../helpers/records.ts';

const test = suite('instance-creds-used-outside-ec2');

test('matches any call made with an instance role session, wherever it came from', () => {
  assert.is(detector.detect(aRecord({ userIdentity: anInstanceSession() })), MATCH);
  assert.is(detector.detect(aRecord({ userIdentity: anInstanceSession(), sourceIPAddress: '203.0.113.66' })), MATCH);
});

test('ignores people and long-term keys', () => {
  assert.is(detector.detect(aRecord()), undefined);
  assert.is(detector.detect(aRecord({ userIdentity: anAssumedRole() })), undefined);
  assert.is(
    detector.detect(
      aRecord({ userIdentity: anInstanceSession('i-0a1b2c3d4e5f60789', { accessKeyId: 'AKIAEXAMPLE0000001' }) }),
    ),
    undefined,
  );
});

test('keeps the workshop regex: an id of fewer than 8 characters does not match', () => {
  assert.is(detector.detect(aRecord({ userIdentity: anInstanceSession('i-0a1b2c', {}) })), undefined);
});

test.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stsFederationTokenCreated as detector } from '../../functions/detectors/sts-federation-token-created.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('sts-federation-token-created');
const federate = () =>
  aCall('sts', 'GetFederationToken', { name: 'stratus_red_team', durationSeconds: 129600 }, { readOnly: true });

test('matches GetFederationToken by an IAM user', () => {
  assert.equal(detector.detect(federate()), {
    reason:
      "GetFederationToken requested by arn:aws:iam::123456789012:user/alice for federated user 'stratus_red_team'.",
  });
});

test('reports a failed call one step lower and ignores GetSessionToken', () => {
  assert.is(detector.detect(aFailed(federate()))?.severity, 'low');
  assert.is(detector.detect(aCall('sts', 'GetSessionToken')), undefined);
});

test.run();

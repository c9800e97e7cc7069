import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalAddress } from '../../functions/core/addresses.ts';
import { callOrigin, instanceSessionOf, userAgentFamily } from '../../functions/detectors/instance-sessions.ts';
import { CLI, INSTANCE, ON_INSTANCE, SDK, instanceCalls } from '../helpers/instance-calls.ts';
import { aRecord, anInstanceSession } from '../helpers/records.ts';

// How the off-instance detector recognises instance sessions and where a call came from
// (functions/detectors/instance-sessions.ts); the decision's tests are in
// ec2-instance-credentials-off-instance.test.ts.

const { call } = instanceCalls();

// ------------------------------------------------------------------------------------------------
const Session = suite('instanceSessionOf');

Session('recognises an IMDS-delivered instance role session and keys it by account, role and instance', () => {
  const session = instanceSessionOf(call(ON_INSTANCE));
  assert.equal(session, {
    account: '123456789012',
    roleArn: 'arn:aws:iam::123456789012:role/WebServerRole',
    instanceId: INSTANCE,
    creationDate: '2017-11-28T18:00:00Z',
    key: `instance|123456789012|arn:aws:iam::123456789012:role/WebServerRole|${INSTANCE}`,
  });
});

Session('matches instance ids case-insensitively, as anonymised datasets spell them', () => {
  const session = instanceSessionOf(call(ON_INSTANCE, {}, anInstanceSession('i-786a3A8B5C0d92eF4')));
  assert.is(session?.instanceId, 'i-786a3A8B5C0d92eF4');
  assert.match(session?.key ?? '', /\|i-786a3a8b5c0d92ef4$/);
});

Session('rejects a session named like an instance id when ec2RoleDelivery is absent', () => {
  for (const name of ['i-0123456789abcdef0', 'i-deployer01']) {
    const identity = anInstanceSession(name);
    const { ec2RoleDelivery: _dropped, ...context } = identity.sessionContext!;
    assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...identity, sessionContext: context })), undefined, name);
  }
});

Session('rejects a session name that is not an instance id even with ec2RoleDelivery', () => {
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, anInstanceSession('i-dep'))), undefined);
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, anInstanceSession('web-server-1'))), undefined);
});

Session('requires an ASIA key, an AssumedRole type and a Role session issuer', () => {
  const base = anInstanceSession();
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...base, accessKeyId: 'AKIAEXAMPLEKEY000001' })), undefined);
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...base, type: 'IAMUser' })), undefined);
  const issuer = { ...base.sessionContext!.sessionIssuer, type: 'User' };
  assert.is(
    instanceSessionOf(
      call(ON_INSTANCE, {}, { ...base, sessionContext: { ...base.sessionContext, sessionIssuer: issuer } }),
    ),
    undefined,
  );
});

Session('falls back to the temporary key id when creationDate is missing or not a time', () => {
  const base = anInstanceSession();
  const session = instanceSessionOf(
    call(ON_INSTANCE, {}, { ...base, sessionContext: { ...base.sessionContext, attributes: undefined } }),
  );
  assert.is(session?.creationDate, 'key:ASIAEXAMPLESESSION01');
  const forged = { ...base, sessionContext: { ...base.sessionContext, attributes: { creationDate: '__proto__' } } };
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, forged))?.creationDate, 'key:ASIAEXAMPLESESSION01');
});

Session.run();

// ------------------------------------------------------------------------------------------------
const Origin = suite('callOrigin');
const ACCOUNT = '123456789012';

Origin('a direct call comes from its public address, in one spelling', () => {
  assert.equal(callOrigin(call(ON_INSTANCE), ACCOUNT), { kind: 'public', address: ON_INSTANCE, foreign: false });
  assert.equal(callOrigin(call('::ffff:192.0.2.10'), ACCOUNT), {
    kind: 'public',
    address: ON_INSTANCE,
    foreign: false,
  });
  assert.is(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
});

Origin("the account's VPC endpoints and private addresses are home; another account's endpoint is not", () => {
  assert.equal(callOrigin(call('10.0.1.5', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' }), ACCOUNT), {
    kind: 'home',
    marker: 'vpce:vpce-0a1b2c3d4e5f60789',
  });
  assert.equal(
    callOrigin(call('10.0.1.5', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789', vpcEndpointAccountId: ACCOUNT }), ACCOUNT),
    { kind: 'home', marker: 'vpce:vpce-0a1b2c3d4e5f60789' },
  );
  assert.equal(callOrigin(call('172.31.4.7'), ACCOUNT), { kind: 'home', marker: 'private' });
  assert.equal(
    callOrigin(call('10.9.9.9', { vpcEndpointId: 'vpce-0fff', vpcEndpointAccountId: '999999999999' }), ACCOUNT),
    {
      kind: 'public',
      address: 'vpce:vpce-0fff@999999999999',
      foreign: true,
    },
  );
});

Origin('AWS services acting for the principal, AWS Internal and non-addresses show no caller', () => {
  assert.is(
    callOrigin(
      call(
        'cloudformation.amazonaws.com',
        {},
        anInstanceSession(INSTANCE, { invokedBy: 'cloudformation.amazonaws.com' }),
      ),
      ACCOUNT,
    ),
    undefined,
  );
  assert.is(
    callOrigin(call(ON_INSTANCE, {}, anInstanceSession(INSTANCE, { invokedBy: 'ssm.amazonaws.com' })), ACCOUNT),
    undefined,
  );
  assert.is(callOrigin(call('s3.amazonaws.com'), ACCOUNT), undefined);
  assert.is(callOrigin(call('AWS Internal'), ACCOUNT), undefined);
  assert.is(callOrigin(call('example.com'), ACCOUNT), undefined);
  assert.is(callOrigin(call('fe80::1%eth0'), ACCOUNT), undefined);
  assert.is(callOrigin(aRecord({ sourceIPAddress: 42 as unknown as string }), ACCOUNT), undefined);
});

Origin.run();

// ------------------------------------------------------------------------------------------------
const Agent = suite('userAgentFamily');

Agent('takes the first product token in lower case', () => {
  assert.is(userAgentFamily(CLI), 'aws-cli');
  assert.is(userAgentFamily(SDK), 'aws-sdk-go');
  assert.is(userAgentFamily('Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0'), 'boto3');
  assert.is(userAgentFamily('[aws-cli/2.15.0 Python/3.11.6]'), 'aws-cli');
});

Agent('is empty for a missing or odd user agent, and bounded', () => {
  assert.is(userAgentFamily(undefined), '');
  assert.is(userAgentFamily(7), '');
  assert.is(userAgentFamily('   '), '');
  assert.is(userAgentFamily('x'.repeat(10_000)).length, 32);
});

Agent.run();

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SigmaRuleError } from '../../../functions/detectors/sigma/errors.ts';
import { compileSelection, type FieldUse } from '../../../functions/detectors/sigma/matcher.ts';
import { MAX_MATCHED_CHARS } from '../../../functions/detectors/sigma/regex.ts';
import { aRecord, anIamUser } from '../../helpers/records.ts';

function matches(definition: unknown, record: unknown): boolean {
  return compileSelection('sel', definition)(record);
}

function refusal(definition: unknown): string {
  try {
    compileSelection('sel', definition);
  } catch (error) {
    assert.instance(error, SigmaRuleError);
    return (error as SigmaRuleError).reason;
  }
  throw new Error('selection was compiled');
}

/** The user agent an attacker picks to hang a backtracking engine on `^(a+)+$`. */
const HOSTILE_AGENT = `${'a'.repeat(34)}!`;

const Regex = suite('re modifier (linear-time engine)');

Regex('a catastrophic pattern against a hostile user agent answers at once, and correctly', () => {
  // In a backtracking engine this call takes about 2^34 steps: the test would never end.
  const test = compileSelection('sel', { 'userAgent|re': '^(a+)+$' });
  assert.not.ok(test(aRecord({ userAgent: HOSTILE_AGENT })));
  assert.ok(test(aRecord({ userAgent: 'a'.repeat(34) })));
  assert.not.ok(test(aRecord({ userAgent: `${'a'.repeat(50_000)}!` })));
});

Regex('i, m and s sub-modifiers and inline (?i) keep their meaning', () => {
  assert.ok(matches({ 'userAgent|re|i': '^AWS-CLI/' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  assert.not.ok(matches({ 'userAgent|re': '^AWS-CLI/' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  assert.ok(matches({ 'userAgent|re': '(?i)^AWS-CLI/' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  const policy = { policyDocument: '{\n"Action": "*"\n}' };
  assert.ok(
    matches({ 'requestParameters.policyDocument|re|m': '^"Action": "\\*"$' }, aRecord({ requestParameters: policy })),
  );
  assert.not.ok(
    matches({ 'requestParameters.policyDocument|re': '^"Action": "\\*"$' }, aRecord({ requestParameters: policy })),
  );
  assert.ok(matches({ 'requestParameters.policyDocument|re|s': '\\{.+\\}' }, aRecord({ requestParameters: policy })));
  assert.not.ok(matches({ 'requestParameters.policyDocument|re': '\\{.+\\}' }, aRecord({ requestParameters: policy })));
});

Regex('a value past the matched bound is matched on its first part only', () => {
  const long = `${'x'.repeat(MAX_MATCHED_CHARS)}needle`;
  assert.not.ok(matches({ 'userAgent|re': 'needle' }, aRecord({ userAgent: long })));
  assert.not.ok(matches({ 'userAgent|contains': 'needle' }, aRecord({ userAgent: long })));
  assert.ok(matches({ 'userAgent|startswith': 'xxx' }, aRecord({ userAgent: long })));
});

Regex.run();

const Wildcards = suite('plain values with wildcards');

Wildcards('many wildcards against a long near-miss value answer at once', () => {
  // `*a*a*a*a*a*b` in a backtracking engine costs about n^5 steps on 20,000 `a`s.
  const test = compileSelection('sel', { 'userAgent|contains': 'a*a*a*a*a*b' });
  assert.not.ok(test(aRecord({ userAgent: 'a'.repeat(20_000) })));
  assert.ok(test(aRecord({ userAgent: `${'a'.repeat(20_000)}b` })));
});

Wildcards('wildcards stay case-insensitive and span newlines; cased makes a value case-sensitive', () => {
  assert.ok(matches({ userAgent: 'AWS-CLI/*' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  assert.ok(matches({ 'requestParameters.doc|contains': 'a*b' }, aRecord({ requestParameters: { doc: 'A\nB' } })));
  assert.not.ok(matches({ 'userAgent|cased': 'AWS-CLI/2.15.0' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  assert.ok(matches({ 'userAgent|cased': 'aws-cli/2.15.0' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  assert.not.ok(matches({ 'userAgent|cased': 'AWS-CLI/*' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
});

Wildcards.run();

const Fieldref = suite('fieldref modifier');

/** SigmaHQ's aws_update_login_profile shape: a user changing another user's console password. */
function updateLoginProfile(caller: string, target: string) {
  return aRecord({
    eventSource: 'iam.amazonaws.com',
    eventName: 'UpdateLoginProfile',
    userIdentity: anIamUser({ arn: `arn:aws:iam::123456789012:user/${caller}`, userName: caller }),
    requestParameters: { userName: target },
  });
}

Fieldref('compares a field with another field of the same record', () => {
  const same = { 'userIdentity.userName|fieldref': 'requestParameters.userName' };
  assert.ok(matches(same, updateLoginProfile('alice', 'alice')));
  assert.ok(matches(same, updateLoginProfile('alice', 'ALICE')));
  assert.not.ok(matches(same, updateLoginProfile('alice', 'bob')));
});

Fieldref('combines with contains, startswith and endswith', () => {
  assert.ok(
    matches(
      { 'userIdentity.arn|contains|fieldref': 'requestParameters.userName' },
      updateLoginProfile('alice', 'alice'),
    ),
  );
  assert.not.ok(
    matches({ 'userIdentity.arn|contains|fieldref': 'requestParameters.userName' }, updateLoginProfile('alice', 'bob')),
  );
  assert.ok(
    matches(
      { 'userIdentity.arn|endswith|fieldref': 'requestParameters.userName' },
      updateLoginProfile('alice', 'alice'),
    ),
  );
  assert.not.ok(
    matches(
      { 'userIdentity.arn|startswith|fieldref': 'requestParameters.userName' },
      updateLoginProfile('alice', 'alice'),
    ),
  );
});

Fieldref('a missing field on either side never matches', () => {
  const rule = { 'userIdentity.userName|fieldref': 'requestParameters.userName' };
  assert.not.ok(matches(rule, aRecord({ requestParameters: null })));
  assert.not.ok(matches(rule, aRecord({ userIdentity: undefined, requestParameters: { userName: 'alice' } })));
  assert.not.ok(matches(rule, {}));
});

Fieldref('needs a field name as its value', () => {
  assert.match(refusal({ 'userIdentity.userName|fieldref': 3 }), "modifier 'fieldref' needs a field name");
  assert.match(refusal({ 'userIdentity.userName|fieldref': 'a..b' }), "modifier 'fieldref' needs a field name");
});

Fieldref.run();

const Exists = suite('exists modifier');

Exists('tests presence, null included, and absence', () => {
  assert.ok(matches({ 'errorCode|exists': true }, aRecord({ errorCode: 'AccessDenied' })));
  assert.not.ok(matches({ 'errorCode|exists': true }, aRecord()));
  assert.ok(matches({ 'errorCode|exists': false }, aRecord()));
  assert.ok(matches({ 'requestParameters|exists': true }, aRecord({ requestParameters: null })));
  assert.match(refusal({ 'errorCode|exists': 'yes' }), "modifier 'exists' takes true or false");
});

Exists.run();

const Cidr = suite('cidr modifier');

Cidr('matches IPv4 and IPv6 addresses inside the network, nothing else', () => {
  const v4 = { 'sourceIPAddress|cidr': '192.0.2.0/24' };
  assert.ok(matches(v4, aRecord({ sourceIPAddress: '192.0.2.17' })));
  assert.not.ok(matches(v4, aRecord({ sourceIPAddress: '198.51.100.7' })));
  assert.not.ok(matches(v4, aRecord({ sourceIPAddress: 'AWS Internal' })));
  const v6 = { 'sourceIPAddress|cidr': ['2001:db8::/32', '203.0.113.0/24'] };
  assert.ok(matches(v6, aRecord({ sourceIPAddress: '2001:db8:1::5' })));
  assert.ok(matches(v6, aRecord({ sourceIPAddress: '203.0.113.9' })));
  assert.not.ok(matches(v6, aRecord({ sourceIPAddress: '2001:db9::1' })));
  assert.match(refusal({ 'sourceIPAddress|cidr': '192.0.2.0/33' }), "modifier 'cidr' needs a network");
  assert.match(
    refusal({ 'sourceIPAddress|cidr|contains': '192.0.2.0/24' }),
    "modifiers 'cidr' and 'contains' cannot be combined",
  );
});

Cidr.run();

const Uses = suite('compileSelection field uses');

Uses('reports each field a selection reads and whether it matches a string pattern', () => {
  const uses: FieldUse[] = [];
  compileSelection('sel', { 'requestParameters|contains': 'x', errorCode: null, 'errorMessage|exists': true }, uses);
  assert.equal(uses, [
    { selection: 'sel', field: 'requestParameters', stringMatch: true },
    { selection: 'sel', field: 'errorCode', stringMatch: false },
  ]);
});

Uses.run();

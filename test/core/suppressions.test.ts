import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RuleLoadError } from '../../functions/core/errors.ts';
import { loadSuppressions, parseSuppressions, type SuppressionCandidate } from '../../functions/core/suppressions.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const FILE = 'suppressions.yml';

/** A would-be finding; override any field. */
function aCandidate(overrides: Partial<SuppressionCandidate> = {}): SuppressionCandidate {
  return {
    detector: 'deleting-logs',
    principal: 'arn:aws:sts::123456789012:assumed-role/ci-deployer/GitHubActions-42',
    account: '123456789012',
    sourceIPAddress: '192.0.2.15',
    userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0',
    ...overrides,
  };
}

/** A one-rule file: `criteria` is YAML lines added to a rule with id, detector and reason. */
function oneRule(criteria: string, detector = 'deleting-logs'): string {
  return `suppressions:\n  - id: the-rule\n    detector: ${detector}\n    reason: expected\n${criteria
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
}

const matchOf = (text: string, candidate: SuppressionCandidate, now = NOW) =>
  parseSuppressions(text, FILE).match(candidate, now);

/** Asserts that loading `text` fails with a RuleLoadError whose message contains `fragment`. */
function assertLoadError(text: string, fragment: string) {
  try {
    parseSuppressions(text, FILE);
  } catch (error) {
    assert.instance(error, RuleLoadError);
    assert.is((error as RuleLoadError).file, FILE);
    assert.match((error as Error).message, fragment);
    return;
  }
  assert.unreachable(`expected a load error containing: ${fragment}`);
}

// ------------------------------------------------------------------------------------------------
const Match = suite('Suppressions.match');

Match('applies the workshop example rule when every criterion matches', () => {
  const text = `suppressions:
  - id: ci-runner-deletes-log-groups
    detector: deleting-logs
    principals: ['arn:aws:sts::123456789012:assumed-role/ci-deployer/*']
    accounts: ['123456789012']
    sourceIPs: ['192.0.2.0/24', '198.51.100.7']
    userAgents: ['*terraform*']
    reason: CI tears down preview stacks
    expires: 2027-01-31
`;
  const rules = parseSuppressions(text, FILE);
  assert.is(rules.match(aCandidate(), NOW), 'ci-runner-deletes-log-groups');
  assert.is(rules.match(aCandidate({ sourceIPAddress: '198.51.100.7' }), NOW), 'ci-runner-deletes-log-groups');
  // AND across criteria: one mismatch is enough to keep the finding.
  assert.is(rules.match(aCandidate({ principal: 'arn:aws:iam::123456789012:user/alice' }), NOW), undefined);
  assert.is(rules.match(aCandidate({ account: '210987654321' }), NOW), undefined);
  assert.is(rules.match(aCandidate({ sourceIPAddress: '198.51.100.8' }), NOW), undefined);
  assert.is(rules.match(aCandidate({ userAgent: 'aws-cli/2.15.0' }), NOW), undefined);
});

Match('matches only its detector, or every detector with "*"', () => {
  assert.is(matchOf(oneRule("accounts: ['123456789012']"), aCandidate({ detector: 'root-login' })), undefined);
  assert.is(matchOf(oneRule("accounts: ['123456789012']", "'*'"), aCandidate({ detector: 'root-login' })), 'the-rule');
});

Match('matches principals with wildcards, OR within the list', () => {
  const text = oneRule("principals: ['arn:aws:iam::123456789012:user/alice', 'arn:aws:sts::*:assumed-role/ci-*/*']");
  assert.is(matchOf(text, aCandidate({ principal: 'arn:aws:iam::123456789012:user/alice' })), 'the-rule');
  assert.is(
    matchOf(text, aCandidate({ principal: 'arn:aws:sts::210987654321:assumed-role/ci-runner/build-7' })),
    'the-rule',
  );
  assert.is(matchOf(text, aCandidate({ principal: 'arn:aws:iam::123456789012:user/alice2' })), undefined);
  assert.is(
    matchOf(text, aCandidate({ principal: 'arn:aws:sts::123456789012:assumed-role/deployer/ci-x' })),
    undefined,
  );
});

Match('matches accounts exactly, restoring leading zeros YAML dropped', () => {
  const text = oneRule('accounts: [012345678901, 123456789012]');
  assert.is(matchOf(text, aCandidate({ account: '012345678901' })), 'the-rule');
  assert.is(matchOf(text, aCandidate({ account: '12345678901' })), undefined);
});

Match('matches source addresses and IPv4 CIDRs', () => {
  const text = oneRule("sourceIPs: ['192.0.2.0/25', '203.0.113.9']");
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '192.0.2.127' })), 'the-rule');
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '192.0.2.128' })), undefined);
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '203.0.113.9' })), 'the-rule');
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '203.0.113.10' })), undefined);
  // A service name as source never matches an address criterion.
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: 'cloudformation.amazonaws.com' })), undefined);
});

Match('matches IPv6 addresses and CIDRs, and IPv4-mapped IPv6 as IPv4', () => {
  const text = oneRule("sourceIPs: ['2001:db8:ac10::/48', '2001:db8::7', '192.0.2.0/24']");
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '2001:db8:ac10:ffff::1' })), 'the-rule');
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '2001:db8:ac11::1' })), undefined);
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '2001:0db8:0:0:0:0:0:7' })), 'the-rule');
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '::ffff:192.0.2.1' })), 'the-rule');
});

Match('matches user agents with wildcards, ignoring case', () => {
  const text = oneRule("userAgents: ['*terraform*', 'aws-cli/2.*']");
  assert.is(matchOf(text, aCandidate()), 'the-rule');
  assert.is(matchOf(text, aCandidate({ userAgent: 'AWS-CLI/2.15.0 Python/3.11.6' })), 'the-rule');
  assert.is(matchOf(text, aCandidate({ userAgent: 'aws-cli/1.29.0 Python/3.11.6' })), undefined);
});

Match('silences a whole detector only with all: true', () => {
  const text = oneRule('all: true');
  assert.is(
    matchOf(text, aCandidate({ principal: 'anything', sourceIPAddress: 'AWS Internal', userAgent: '' })),
    'the-rule',
  );
  assert.is(matchOf(text, aCandidate({ detector: 'other' })), undefined);
});

Match('stops applying a rule after its expiry date, through the whole of that day (UTC)', () => {
  const text = oneRule("accounts: ['123456789012']\nexpires: 2027-01-31");
  assert.is(matchOf(text, aCandidate(), new Date('2027-01-31T23:59:59.999Z')), 'the-rule');
  assert.is(matchOf(text, aCandidate(), new Date('2027-02-01T00:00:00Z')), undefined);
});

Match('stops applying a rule after an expiry date-time with a time zone', () => {
  const text = oneRule("accounts: ['123456789012']\nexpires: '2027-01-31T18:00:00+02:00'");
  assert.is(matchOf(text, aCandidate(), new Date('2027-01-31T16:00:00Z')), 'the-rule');
  assert.is(matchOf(text, aCandidate(), new Date('2027-01-31T16:00:01Z')), undefined);
});

Match('returns the first applicable rule in file order, skipping expired ones', () => {
  const text = `suppressions:
  - { id: old, detector: deleting-logs, accounts: ['123456789012'], reason: gone, expires: 2020-01-01 }
  - { id: narrow, detector: deleting-logs, sourceIPs: ['192.0.2.15'], reason: host }
  - { id: broad, detector: '*', accounts: ['123456789012'], reason: account }
`;
  assert.is(matchOf(text, aCandidate()), 'narrow');
  assert.is(matchOf(text, aCandidate({ sourceIPAddress: '192.0.2.16' })), 'broad');
});

Match('reads the same rules from JSON', () => {
  const json = JSON.stringify({
    suppressions: [
      { id: 'j', detector: 'deleting-logs', principals: ['*/ci-deployer/*'], reason: 'ci', expires: '2027-01-31' },
    ],
  });
  assert.is(matchOf(json, aCandidate()), 'j');
});

Match.run();

// ------------------------------------------------------------------------------------------------
const Expired = suite('Suppressions.expired');

Expired('lists the rules whose expiry has passed', () => {
  const text = `suppressions:
  - { id: past, detector: deleting-logs, all: true, reason: r, expires: 2026-05-31 }
  - { id: today, detector: deleting-logs, all: true, reason: r, expires: 2026-06-01 }
  - { id: forever, detector: deleting-logs, all: true, reason: r }
`;
  const rules = parseSuppressions(text, FILE);
  assert.equal(
    rules.expired(NOW).map((rule) => rule.id),
    ['past'],
  );
  assert.equal(
    rules.expired(new Date('2026-06-02T00:00:00Z')).map((rule) => rule.id),
    ['past', 'today'],
  );
});

Expired.run();

// ------------------------------------------------------------------------------------------------
const Parse = suite('parseSuppressions');

Parse('keeps the validated rules for reporting', () => {
  const rules = parseSuppressions(oneRule("accounts: ['123456789012']\nexpires: 2027-01-31"), FILE);
  assert.equal(rules.rules, [
    {
      id: 'the-rule',
      detector: 'deleting-logs',
      reason: 'expected',
      expires: new Date('2027-01-31T23:59:59.999Z'),
      accounts: ['123456789012'],
    },
  ]);
  assert.is(rules.file, FILE);
});

Parse('accepts an empty list of rules', () => {
  assert.is(parseSuppressions('suppressions: []', FILE).rules.length, 0);
});

Parse('rejects a rule without criteria unless it says all: true', () => {
  assertLoadError(
    oneRule('expires: 2027-01-31'),
    'rule "the-rule": needs at least one of principals, accounts, sourceIPs, userAgents; to silence the whole detector say "all: true"',
  );
  assertLoadError(oneRule('all: false'), '"all" can only be true');
  assertLoadError(oneRule("all: true\naccounts: ['123456789012']"), '"all: true" cannot be combined with accounts');
});

Parse('requires id, detector and reason', () => {
  assertLoadError('suppressions:\n  - { detector: deleting-logs, all: true, reason: r }', 'rule #1: id is required');
  assertLoadError(
    "suppressions:\n  - { id: 'has space', detector: deleting-logs, all: true, reason: r }",
    'id "has space" must be',
  );
  assertLoadError('suppressions:\n  - { id: a, all: true, reason: r }', 'rule "a": detector is required');
  assertLoadError('suppressions:\n  - { id: a, detector: deleting-logs, all: true }', 'rule "a": reason is required');
  assertLoadError(
    "suppressions:\n  - { id: a, detector: deleting-logs, all: true, reason: '  ' }",
    'rule "a": reason is required',
  );
});

Parse('rejects unknown keys, with a hint for a near miss', () => {
  assertLoadError(
    oneRule("principal: ['arn:aws:iam::123456789012:user/alice']"),
    'rule "the-rule": unknown key "principal" (did you mean "principals"?)',
  );
  assertLoadError(oneRule("accounts: ['123456789012']\nseverity: low"), 'unknown key "severity"');
  assertLoadError('rules: []', 'unknown top-level key "rules"');
});

Parse('rejects bad addresses and CIDRs, naming the entry', () => {
  assertLoadError(
    oneRule("sourceIPs: ['192.0.2.0/33']"),
    'rule "the-rule": sourceIPs[0] "192.0.2.0/33" is not an IP address or CIDR',
  );
  assertLoadError(oneRule("sourceIPs: ['192.0.2.1', '2001:db8::/129']"), 'sourceIPs[1] "2001:db8::/129"');
  assertLoadError(oneRule("sourceIPs: ['192.0.2.256']"), 'sourceIPs[0]');
  assertLoadError(oneRule("sourceIPs: ['192.0.2.0/']"), 'sourceIPs[0]');
  assertLoadError(oneRule("sourceIPs: ['fe80::1%eth0']"), 'sourceIPs[0]');
  assertLoadError(oneRule("sourceIPs: ['office']"), 'sourceIPs[0] "office"');
});

Parse('rejects bad dates, including ones Date would roll over', () => {
  assertLoadError(oneRule("all: true\nexpires: '2027-02-30'"), 'rule "the-rule": expires "2027-02-30" is not a date');
  assertLoadError(oneRule("all: true\nexpires: '2027-13-01'"), 'expires "2027-13-01"');
  assertLoadError(oneRule("all: true\nexpires: '31/01/2027'"), 'expires "31/01/2027"');
  assertLoadError(oneRule("all: true\nexpires: '2027-01-31T25:00:00Z'"), 'expires "2027-01-31T25:00:00Z"');
  // Without a time zone a date-time would depend on where the auditor runs.
  assertLoadError(oneRule("all: true\nexpires: '2027-01-31T18:00:00'"), 'expires "2027-01-31T18:00:00"');
  assertLoadError(oneRule('all: true\nexpires: 20270131'), 'expires 20270131');
});

Parse('accepts a leap day and a YAML 1.1 timestamp', () => {
  assert.is(
    parseSuppressions(oneRule("all: true\nexpires: '2028-02-29'"), FILE).rules[0]?.expires?.toISOString(),
    '2028-02-29T23:59:59.999Z',
  );
  const yaml11 = `%YAML 1.1\n---\n${oneRule('all: true\nexpires: 2027-01-31')}`;
  assert.is(parseSuppressions(yaml11, FILE).rules[0]?.expires?.toISOString(), '2027-01-31T23:59:59.999Z');
});

Parse('rejects bad accounts and empty or non-list criteria', () => {
  assertLoadError(oneRule("accounts: ['12345']"), 'accounts[0] "12345" is not a 12-digit account id');
  assertLoadError(oneRule('principals: []'), 'principals is an empty list');
  assertLoadError(oneRule("userAgents: '*terraform*'"), 'userAgents must be a list');
  assertLoadError(oneRule("principals: ['']"), 'principals[0] must be a non-empty string');
});

Parse('rejects duplicate ids and unknown detectors when the ids are known', () => {
  assertLoadError(
    'suppressions:\n  - { id: a, detector: x, all: true, reason: r }\n  - { id: a, detector: y, all: true, reason: r }',
    'rule "a": the id is used twice',
  );
  assert.throws(
    () => parseSuppressions(oneRule('all: true', 'deleting-log'), FILE, { detectorIds: ['deleting-logs'] }),
    /rule "the-rule": unknown detector "deleting-log"/,
  );
  assert.is(parseSuppressions(oneRule('all: true', "'*'"), FILE, { detectorIds: ['deleting-logs'] }).rules.length, 1);
});

Parse('rejects a file that is not a suppression list', () => {
  assertLoadError('', 'the file is empty');
  assertLoadError('suppressions: {}', '"suppressions" must be a list');
  assertLoadError('- a\n- b', 'expected a mapping');
  assertLoadError('suppressions: [oops]', 'rule #1: is not a mapping');
  assertLoadError('suppressions:\n  - id: a\n    id: b', 'not valid YAML or JSON');
  assertLoadError('suppressions: [ {', 'not valid YAML or JSON');
});

Parse.run();

// ------------------------------------------------------------------------------------------------
const Load = suite('loadSuppressions');

Load('loads the example file', async () => {
  const rules = await loadSuppressions(new URL('../../examples/suppressions.yml', import.meta.url).pathname);
  assert.equal(
    rules.rules.map((rule) => rule.id),
    ['ci-runner-deletes-log-groups', 'office-proxy-uses-instance-credentials', 'workshop-instance-rule-replaced'],
  );
  assert.is(rules.match(aCandidate(), NOW), 'ci-runner-deletes-log-groups');
});

Load('reads a JSON file and names a missing file in the error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'suppressions-'));
  const file = join(dir, 'rules.json');
  await writeFile(file, JSON.stringify({ suppressions: [{ id: 'j', detector: '*', all: true, reason: 'r' }] }));
  assert.is((await loadSuppressions(file)).rules.length, 1);
  try {
    await loadSuppressions(join(dir, 'missing.yml'));
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, RuleLoadError);
    assert.match((error as Error).message, 'missing.yml: cannot read the suppression file');
  }
});

Load.run();

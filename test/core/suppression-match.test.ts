import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addressMatcher, asCidr, wildcardMatcher } from '../../functions/core/suppression-match.ts';

const Wildcards = suite('wildcardMatcher');

Wildcards('treats * as any run of characters, including none and "/"', () => {
  const matches = wildcardMatcher(['a*b*c']);
  assert.ok(matches('abc'));
  assert.ok(matches('a/x/b/y/c'));
  assert.not.ok(matches('ab'));
  assert.not.ok(matches('acb'));
  // Prefix and suffix must not overlap.
  assert.not.ok(wildcardMatcher(['ab*ba'])('aba'));
  // A middle segment may not borrow characters of the suffix.
  assert.not.ok(wildcardMatcher(['a*c*c'])('ac'));
  assert.ok(wildcardMatcher(['a*c*c'])('acc'));
  assert.ok(wildcardMatcher(['*'])(''));
});

Wildcards('treats everything but * literally', () => {
  const matches = wildcardMatcher(['arn:aws:iam::123456789012:user/a.b?(c)+']);
  assert.ok(matches('arn:aws:iam::123456789012:user/a.b?(c)+'));
  assert.not.ok(matches('arn:aws:iam::123456789012:user/axb?(c)+'));
});

Wildcards('stays fast on patterns that would make a RegExp backtrack', () => {
  const matches = wildcardMatcher(['*a*a*a*a*a*a*a*a*a*a*b']);
  const started = performance.now();
  assert.not.ok(matches('a'.repeat(20_000)));
  assert.ok(performance.now() - started < 50);
});

Wildcards.run();

const Addresses = suite('addressMatcher');

Addresses('matches addresses and CIDRs of both families, and nothing else', () => {
  const matches = addressMatcher(['198.51.100.7', '192.0.2.0/24', '2001:db8::/32']);
  assert.ok(matches('198.51.100.7'));
  assert.ok(matches('192.0.2.200'));
  assert.ok(matches('2001:db8:ffff::1'));
  assert.not.ok(matches('2001:db9::1'));
  assert.not.ok(matches('AWS Internal'));
  assert.not.ok(matches(''));
});

Addresses.run();

const Cidrs = suite('asCidr');

Cidrs('takes a CIDR as it is, an address as a range of one, and refuses anything else', () => {
  assert.is(asCidr('192.0.2.0/24'), '192.0.2.0/24');
  assert.is(asCidr('198.51.100.7'), '198.51.100.7/32');
  assert.is(asCidr('2001:DB8:0::1'), '2001:db8::1/128');
  assert.is(asCidr('::ffff:203.0.113.9'), '203.0.113.9/32');
  for (const bad of ['192.0.2.0/33', '2001:db8::/129', 'fe80::1%eth0', '192.0.2.300', 'AWS Internal', '']) {
    assert.is(asCidr(bad), undefined, bad);
  }
});

Cidrs.run();

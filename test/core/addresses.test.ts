import { BlockList } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressRanges, canonicalAddress, isPrivateAddress, parseCidr } from '../../functions/core/addresses.ts';

const canonical = suite('canonicalAddress');

canonical('writes IPv6 compressed in lower case and IPv4-mapped IPv6 as IPv4', () => {
  assert.is(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.is(canonicalAddress('::ffff:192.0.2.10'), '192.0.2.10');
  assert.is(canonicalAddress('::ffff:c000:020a'), '192.0.2.10');
  assert.is(canonicalAddress('192.0.2.10'), '192.0.2.10');
});

canonical('refuses what is not one address: names, zone indexes, oversized text', () => {
  for (const text of ['example.com', 'fe80::1%eth0', '999.0.2.1', '', 'x'.repeat(100), '192.0.2.1/24'])
    assert.is(canonicalAddress(text), undefined, text);
});

canonical.run();

const privates = suite('isPrivateAddress');

privates('knows RFC 1918, shared, loopback, link-local and IPv6 unique-local addresses', () => {
  for (const address of [
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '100.64.0.1',
    '127.0.0.1',
    '169.254.169.254',
    'fd00::1',
    'fe80::1',
    '::1',
  ]) {
    assert.ok(isPrivateAddress(address), address);
  }
  for (const address of ['192.0.2.10', '172.32.0.1', '100.128.0.1', '203.0.113.9', '2001:db8::1', '52.94.76.1'])
    assert.not.ok(isPrivateAddress(address), address);
});

privates.run();

const ranges = suite('AddressRanges');

ranges('matches any spelling of an address against IPv4 and IPv6 CIDRs, as BlockList does', () => {
  const set = new AddressRanges();
  assert.ok(set.add('198.51.100.0/25'));
  assert.ok(set.add('2001:db8:1000::/36'));
  assert.not.ok(set.add('198.51.100.0/33'));
  assert.not.ok(set.add('not a cidr'));
  assert.is(set.size, 2);
  assert.ok(set.contains('198.51.100.127'));
  assert.not.ok(set.contains('198.51.100.128'));
  assert.ok(set.contains('::ffff:198.51.100.1'));
  assert.ok(set.contains('2001:DB8:1FFF::1'));
  assert.not.ok(set.contains('2001:db8:2000::'));
  assert.not.ok(set.contains('nonsense'));
  const reference = new BlockList();
  reference.addSubnet('198.51.100.0', 25, 'ipv4');
  for (let last = 0; last < 256; last++)
    assert.is(set.contains(`198.51.100.${last}`), reference.check(`198.51.100.${last}`, 'ipv4'));
});

ranges('parseCidr refuses malformed prefixes', () => {
  assert.equal(parseCidr('192.0.2.0/24'), { network: '192.0.2.0', prefix: 24, family: 'ipv4' });
  for (const cidr of ['192.0.2.0', '192.0.2.0/', '192.0.2.0/x', '2001:db8::/129', 'fe80::%eth0/64', '/24'])
    assert.is(parseCidr(cidr), undefined, cidr);
});

ranges.run();

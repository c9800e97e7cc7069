import { mkdtemp, writeFile } from 'node:fs/promises';
import { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IP_RANGES_JSON, RANGES } from '../helpers/instance-calls.ts';
import {
  AddressRanges,
  canonicalAddress,
  isPrivateAddress,
  loadAwsIpRanges,
  parseAwsIpRanges,
  parseCidr,
} from '../../functions/core/addresses.ts';
import { ConfigError } from '../../functions/core/errors.ts';

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

const awsRanges = suite('parseAwsIpRanges');

awsRanges('matches IPv4 and IPv6 addresses inside the published prefixes', () => {
  assert.ok(RANGES.contains('192.0.2.0'));
  assert.ok(RANGES.contains('192.0.2.255'));
  assert.ok(RANGES.contains('198.51.100.127'));
  assert.not.ok(RANGES.contains('198.51.100.128'));
  assert.not.ok(RANGES.contains('203.0.113.66'));
  assert.ok(RANGES.contains('2001:db8:1fff:ffff:ffff:ffff:ffff:ffff'));
  assert.not.ok(RANGES.contains('2001:db8:2000::'));
  assert.ok(RANGES.contains('::ffff:192.0.2.9'));
  assert.not.ok(RANGES.contains('not an address'));
  assert.is(RANGES.prefixCount, 4);
  assert.is(RANGES.syncToken, '1700000000');
});

awsRanges('rejects a file that is not ip-ranges.json, naming the bad entry', () => {
  assert.throws(
    () => parseAwsIpRanges('{', 'ranges.json'),
    (error: unknown) => error instanceof ConfigError && /ranges\.json: invalid JSON/.test(error.message),
  );
  assert.throws(() => parseAwsIpRanges('{"prefix":[]}', 'ranges.json'), /no "prefixes" array/);
  assert.throws(
    () => parseAwsIpRanges('{"prefixes":[{"ip_prefix":"192.0.2.0/33"}]}', 'ranges.json'),
    /ip_prefix of entry 0 is not an IPv4 CIDR/,
  );
  assert.throws(
    () => parseAwsIpRanges('{"prefixes":[],"ipv6_prefixes":[{"ipv6_prefix":"192.0.2.0/24"}]}'),
    /ipv6_prefix of entry 0 is not an IPv6 CIDR/,
  );
});

awsRanges.run();

const loadRanges = suite('loadAwsIpRanges');

loadRanges('reads ip-ranges.json from a file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ip-ranges-'));
  const file = join(dir, 'ip-ranges.json');
  await writeFile(file, IP_RANGES_JSON);
  const ranges = await loadAwsIpRanges(file);
  assert.ok(ranges.contains('192.0.2.10'));
  assert.not.ok(ranges.contains('203.0.113.66'));
});

loadRanges('fails with a ConfigError naming a missing file', async () => {
  try {
    await loadAwsIpRanges('/nonexistent/ip-ranges.json');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.match((error as Error).message, '/nonexistent/ip-ranges.json: cannot read AWS ip ranges');
  }
});

loadRanges.run();

import { readFile } from 'node:fs/promises';
import { BlockList, isIP, SocketAddress } from 'node:net';
import { ConfigError, messageOf } from './errors.ts';

/*
 * IP addresses and CIDR ranges, on Node's own parser and matcher (net.isIP, net.SocketAddress,
 * net.BlockList): no hand-written address arithmetic. Detectors and suppressions share it.
 */

/** An IP address in one spelling (IPv6 compressed lower case, IPv4-mapped IPv6 as IPv4), else undefined. */
export function canonicalAddress(text: string): string | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const family = isIP(text);
  if (family === 4) return text;
  // A zone index (fe80::1%eth0) names an interface of the caller's host, not an address of it.
  if (family !== 6 || text.includes('%')) return undefined;
  const canonical = new SocketAddress({ address: text, family: 'ipv6' }).address;
  if (canonical.startsWith('::ffff:') && isIP(canonical.slice(7)) === 4) return canonical.slice(7);
  return canonical;
}

/** A CIDR (`192.0.2.0/24`, `2001:db8::/32`) as BlockList arguments, or undefined when malformed. */
export function parseCidr(cidr: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = cidr.indexOf('/');
  if (slash === -1) return undefined;
  const network = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || network.includes('%')) return undefined;
  const family = isIP(network);
  const prefix = Number(prefixText);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { network, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** A set of CIDR ranges; `contains` takes any spelling of an address. */
export class AddressRanges {
  private readonly list = new BlockList();
  size = 0;

  /** Adds a CIDR; false (and nothing added) when it is malformed. */
  add(cidr: string): boolean {
    const parsed = parseCidr(cidr);
    if (!parsed) return false;
    this.list.addSubnet(parsed.network, parsed.prefix, parsed.family);
    this.size++;
    return true;
  }

  contains(address: string): boolean {
    const canonical = canonicalAddress(address);
    if (canonical === undefined) return false;
    return this.list.check(canonical, canonical.includes(':') ? 'ipv6' : 'ipv4');
  }
}

// RFC 1918, shared address space (carrier-grade NAT, RFC 6598), loopback, link-local, and IPv6
// unique-local and link-local: addresses that say "inside a network", never who on the Internet.
const PRIVATE = new AddressRanges();
for (const cidr of [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
]) {
  PRIVATE.add(cidr);
}

// Prefixes of dotted addresses that may be private: any other IPv4 address is public without
// asking the BlockList, which checks its rules one by one (this runs on every instance call).
const MAYBE_PRIVATE_IPV4 = /^(?:10|127|172|100)\.|^192\.168\.|^169\.254\./;

/** Whether an address is private (RFC 1918, RFC 6598, loopback, link-local, IPv6 ULA). */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4 && !MAYBE_PRIVATE_IPV4.test(address)) return false;
  return PRIVATE.contains(address);
}

/** The published AWS address ranges (ip-ranges.json) as a matcher. */
export interface AwsIpRanges {
  /** Whether `address` (IPv4 or IPv6 text) lies in any published prefix; false for non-addresses. */
  contains(address: string): boolean;
  /** Number of prefixes loaded. */
  readonly prefixCount: number;
  /** The file's `syncToken` and `createDate`, to say which publication a finding was judged against. */
  readonly syncToken?: string;
  readonly createDate?: string;
}

/** Reads AWS's published ip-ranges.json (https://ip-ranges.amazonaws.com/ip-ranges.json). */
export async function loadAwsIpRanges(path: string): Promise<AwsIpRanges> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read AWS ip ranges (${messageOf(error)})`, { cause: error });
  }
  return parseAwsIpRanges(text, path);
}

/**
 * Parses the text of ip-ranges.json: `{prefixes: [{ip_prefix, region, service}], ipv6_prefixes:
 * [{ipv6_prefix, ...}]}`. Every service's prefixes are kept (AMAZON is their union, but the file
 * does not promise it). Throws {@link ConfigError} naming the file and the bad entry.
 */
export function parseAwsIpRanges(text: string, file = 'ip-ranges.json'): AwsIpRanges {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: invalid JSON (${messageOf(error)})`, { cause: error });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${file}: not an ip-ranges.json object`);
  const { prefixes, ipv6_prefixes: ipv6Prefixes, syncToken, createDate } = doc as Record<string, unknown>;
  if (!Array.isArray(prefixes)) throw new ConfigError(`${file}: no "prefixes" array`);
  if (ipv6Prefixes !== undefined && !Array.isArray(ipv6Prefixes))
    throw new ConfigError(`${file}: "ipv6_prefixes" is not an array`);
  const ranges = new AddressRanges();
  const add = (entries: unknown[], field: string, family: 'ipv4' | 'ipv6') => {
    entries.forEach((entry, index) => {
      const cidr = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[field] : undefined;
      const parsed = typeof cidr === 'string' ? parseCidr(cidr) : undefined;
      if (!parsed || parsed.family !== family) {
        throw new ConfigError(
          `${file}: ${field} of entry ${index} is not an IPv${family === 'ipv4' ? 4 : 6} CIDR (${JSON.stringify(cidr)})`,
        );
      }
      ranges.add(cidr as string);
    });
  };
  add(prefixes, 'ip_prefix', 'ipv4');
  add(ipv6Prefixes ?? [], 'ipv6_prefix', 'ipv6');
  return {
    contains: (address: string) => ranges.contains(address),
    prefixCount: ranges.size,
    ...(typeof syncToken === 'string' ? { syncToken } : {}),
    ...(typeof createDate === 'string' ? { createDate } : {}),
  };
}

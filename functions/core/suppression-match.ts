import { AddressRanges, canonicalAddress, parseCidr } from './addresses.ts';
import type { SuppressionCandidate, SuppressionRule, Suppressions } from './suppressions.ts';

// The compiled form of validated suppression rules (suppressions.ts parses and validates them):
// everything `match` needs is built once at load, since it runs for every finding.

type Test = (candidate: SuppressionCandidate) => boolean;

interface CompiledRule {
  rule: SuppressionRule;
  /** Epoch ms after which the rule no longer applies (Infinity without `expires`). */
  lastValid: number;
  tests: Test[];
}

function compileRule(rule: SuppressionRule): CompiledRule {
  const tests: Test[] = [];
  if (rule.principals) {
    const matches = wildcardMatcher(rule.principals);
    tests.push((c) => matches(c.principal));
  }
  if (rule.accounts) {
    const accounts = new Set(rule.accounts);
    tests.push((c) => accounts.has(c.account));
  }
  if (rule.sourceIPs) {
    const matches = addressMatcher(rule.sourceIPs);
    tests.push((c) => matches(c.sourceIPAddress));
  }
  if (rule.userAgents) {
    const matches = wildcardMatcher(rule.userAgents);
    tests.push((c) => matches(c.userAgent));
  }
  return { rule, lastValid: rule.expires ? rule.expires.getTime() : Number.POSITIVE_INFINITY, tests };
}

/**
 * Matches any of `patterns`, where `*` stands for any run of characters (including `/` and none)
 * and everything else is literal; case-insensitive (IAM names are unique regardless of case, and
 * user agents vary in case). Implemented as ordered substring search, not a RegExp, so a pattern
 * like `*a*a*a*b` cannot backtrack: each test is linear in the value's length per pattern.
 */
export function wildcardMatcher(patterns: readonly string[]): (value: string) => boolean {
  const exact = new Set<string>();
  const globs: string[][] = [];
  for (const pattern of patterns) {
    const lower = pattern.toLowerCase();
    if (lower.includes('*')) globs.push(lower.split('*'));
    else exact.add(lower);
  }
  return (value) => {
    if (typeof value !== 'string') return false;
    const lower = value.toLowerCase();
    if (exact.has(lower)) return true;
    return globs.some((segments) => globMatches(segments, lower));
  };
}

function globMatches(segments: readonly string[], value: string): boolean {
  // segments come from split('*'), so there are at least two: the prefix and the suffix.
  const head = segments[0]!;
  const tail = segments[segments.length - 1]!;
  if (value.length < head.length + tail.length || !value.startsWith(head) || !value.endsWith(tail)) return false;
  // Middle segments in order, leftmost first (greedy leftmost is enough for `*`-only globs).
  let position = head.length;
  const limit = value.length - tail.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const found = value.indexOf(segment, position);
    if (found === -1 || found + segment.length > limit) return false;
    position = found + segment.length;
  }
  return true;
}

/** Matches an address against addresses and CIDRs (IPv4 and IPv6; IPv4-mapped IPv6 counts as IPv4). */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const ranges = new AddressRanges();
  for (const entry of entries) {
    const cidr = asCidr(entry);
    if (cidr === undefined || !ranges.add(cidr)) throw new TypeError(`not an IP address or CIDR: ${entry}`);
  }
  // A service name (`s3.amazonaws.com`) or `AWS Internal` is no address and matches no entry.
  return (address) => typeof address === 'string' && ranges.contains(address);
}

/**
 * An address or CIDR as a CIDR (an address is a range of one), or undefined when malformed.
 * Zone ids (fe80::1%eth0) never appear in CloudTrail and are refused.
 */
export function asCidr(text: string): string | undefined {
  if (parseCidr(text)) return text;
  const address = canonicalAddress(text);
  if (address === undefined) return undefined;
  return `${address}/${address.includes(':') ? 128 : 32}`;
}

/** The rules, compiled, as {@link Suppressions}. */
export function compileSuppressions(file: string, rules: readonly SuppressionRule[]): Suppressions {
  return new CompiledSuppressions(file, rules.map(compileRule));
}

class CompiledSuppressions implements Suppressions {
  readonly rules: readonly SuppressionRule[];
  // Rules that can apply to one detector id, in file order: its own and the `*` ones. Built lazily.
  private readonly byDetector = new Map<string, CompiledRule[]>();

  constructor(
    readonly file: string,
    private readonly compiled: readonly CompiledRule[],
  ) {
    this.rules = compiled.map((c) => c.rule);
  }

  match(candidate: SuppressionCandidate, now: Date): string | undefined {
    const time = now.getTime();
    for (const rule of this.rulesFor(candidate.detector)) {
      if (time > rule.lastValid) continue;
      if (rule.tests.every((test) => test(candidate))) return rule.rule.id;
    }
    return undefined;
  }

  expired(now: Date): SuppressionRule[] {
    const time = now.getTime();
    return this.compiled.filter((c) => time > c.lastValid).map((c) => c.rule);
  }

  private rulesFor(detector: string): CompiledRule[] {
    let rules = this.byDetector.get(detector);
    if (!rules) {
      rules = this.compiled.filter((c) => c.rule.detector === '*' || c.rule.detector === detector);
      this.byDetector.set(detector, rules);
    }
    return rules;
  }
}

import { BlockList, isIP } from 'node:net';
import { SigmaRuleError } from './errors.ts';
import type { Position } from './field-key.ts';
import { bounded, compileWildcard, type TextTest } from './regex.ts';

/**
 * A Sigma plain value as a text test, case-insensitive unless `cased` is false: `*` is any run,
 * `?` one character, and `\` escapes `*`, `?` and `\` (any other backslash is literal). Position
 * modifiers only drop anchors, so wildcards inside a `contains` value still work.
 *
 * A value without wildcards is a literal search, run by the built-in engine (no quantifier, so
 * no backtracking); a value with wildcards runs in the linear-time engine, because `*a*b*c` in a
 * backtracking engine costs a power of the input length.
 */
export function compilePlainValue(value: string, position: Position, ignoreCase = true): TextTest {
  let body = '';
  let afterStar = false;
  let wildcard = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    const star = char === '*';
    if (char === '\\') {
      const next = value[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        body += escapeRegExp(next);
        i++;
      } else {
        body += '\\\\';
      }
    } else if (star) {
      // Runs of `*` collapse to one `.*`.
      if (!afterStar) body += '.*';
      wildcard = true;
    } else if (char === '?') {
      body += '.';
      wildcard = true;
    } else {
      body += escapeRegExp(char);
    }
    afterStar = star;
  }
  const start = position === 'exact' || position === 'startswith';
  const end = position === 'exact' || position === 'endswith';
  // `(?-i:...)` turns the engine's case-insensitivity off for a `cased` value.
  if (wildcard) return compileWildcard(ignoreCase ? body : `(?-i:${body})`, start, end);
  // A literal: `i` for Sigma's case-insensitivity (unless `cased`), `s` is harmless without `.`.
  const regexp = new RegExp(`${start ? '^' : ''}${body}${end ? '$' : ''}`, ignoreCase ? 'is' : 's');
  return (text) => regexp.test(bounded(text));
}

/**
 * `field|cidr: 192.0.2.0/24` (or an IPv6 network): the field holds an address inside it. The
 * network is checked at load; a field value that is not an address (`AWS Internal`, a service
 * name) never matches.
 *
 * @throws {SigmaRuleError} when the value is not a network in CIDR notation.
 */
export function compileCidr(value: string, where: string): TextTest {
  const [address = '', prefixText, ...rest] = value.split('/');
  const family = isIP(address);
  const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw new SigmaRuleError(
      `modifier 'cidr' needs a network such as 192.0.2.0/24 or 2001:db8::/32, not '${value}' ${where}`,
    );
  }
  const list = new BlockList();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  list.addSubnet(address, prefix, type);
  return (text) => {
    const candidate = isIP(text);
    if (candidate === 0) return false;
    // An IPv4 address can sit inside an IPv6 network (mapped form) and the reverse; BlockList knows.
    return list.check(text, candidate === 6 ? 'ipv6' : 'ipv4');
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

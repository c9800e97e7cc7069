import { RE2JS } from 're2js';
import { SigmaRuleError } from './errors.ts';

/**
 * The longest string a pattern is matched against, in UTF-16 code units: a longer value is matched
 * on its first {@link MAX_MATCHED_CHARS} only. Linear-time matching bounds the cost per character;
 * this bounds the characters, so one record with a 1 MB user agent costs the same as a 64 KiB one.
 * CloudTrail's own fields are far shorter (user agents, ARNs, policy documents of a few KiB).
 */
export const MAX_MATCHED_CHARS = 64 * 1024;

/** A compiled pattern: pure and total, never throws, time linear in the (bounded) input. */
export type TextTest = (text: string) => boolean;

/** The `re` sub-modifiers of Sigma 2 (`|re|i`, `|re|m`, `|re|s`). */
export interface RegexFlags {
  ignoreCase?: boolean;
  multiline?: boolean;
  dotAll?: boolean;
}

/**
 * Compiles a user-supplied regular expression (a Sigma `|re` value) with RE2 semantics, in a
 * linear-time engine (re2js, a pure-JavaScript port of RE2: no native or WASM module to bundle,
 * synchronous). A catastrophic pattern such as `^(a+)+$` cannot backtrack: matching is linear in
 * the input. RE2 refuses lookaround and backreferences, which no linear engine can run; such a
 * pattern is refused here, at load, with RE2's reason.
 *
 * Sigma regexes are case-sensitive unless `|i` or an inline `(?i)` says otherwise; RE2 reads
 * inline flag groups itself.
 *
 * @throws {SigmaRuleError} naming the pattern, `where` it is, and why it cannot be compiled.
 */
export function compileUserRegex(source: string, flags: RegexFlags, where: string): TextTest {
  let re: RE2JS;
  try {
    re = RE2JS.compile(
      source,
      (flags.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) |
        (flags.multiline ? RE2JS.MULTILINE : 0) |
        (flags.dotAll ? RE2JS.DOTALL : 0),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SigmaRuleError(
      `regular expression '${source}' ${where} cannot run in a linear-time engine (RE2): ${reason}`,
      {
        cause: error,
      },
    );
  }
  return (text) => re.test(bounded(text));
}

/**
 * Compiles a Sigma plain value with wildcards (`*` any run, `?` one character) into a
 * case-insensitive, linear-time test. `body` is already an RE2-compatible regex body; `anchored`
 * start and end follow the position modifier. Values without wildcards never come here: they are
 * literal searches, which the built-in engine runs in linear time.
 */
export function compileWildcard(body: string, anchorStart: boolean, anchorEnd: boolean): TextTest {
  // `\A`/`\z` anchor the whole text whatever the flags; DOTALL so `*` spans newlines (policies).
  const re = RE2JS.compile(
    `${anchorStart ? '\\A' : ''}(?:${body})${anchorEnd ? '\\z' : ''}`,
    RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL,
  );
  return (text) => re.test(bounded(text));
}

/** `text` cut to {@link MAX_MATCHED_CHARS}; short strings (all of CloudTrail's own) are returned as they are. */
export function bounded(text: string): string {
  return text.length > MAX_MATCHED_CHARS ? text.slice(0, MAX_MATCHED_CHARS) : text;
}

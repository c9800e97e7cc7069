import { SigmaRuleError } from './errors.ts';
import type { RecordTest } from './matcher.ts';

/** A parsed Sigma condition. `of` targets are a name pattern (`*` wildcards) or `them`. */
export type ConditionNode =
  | { type: 'selection'; name: string }
  | { type: 'of'; quantifier: 'one' | 'all'; target: string }
  | { type: 'not'; operand: ConditionNode }
  | { type: 'and'; operands: ConditionNode[] }
  | { type: 'or'; operands: ConditionNode[] };

/** The `of` target that stands for every selection not starting with `_`. */
export const THEM = 'them';

type Token = { kind: '(' | ')' | '|' | 'word'; text: string };

const IDENTIFIER = /^[A-Za-z0-9_.\-*]+$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any', 'near']);

/**
 * Parses a Sigma condition string into an AST, with the spec's precedence: `or` binds least, then
 * `and`, then `not`, then `x of`, then parentheses. Keywords are case-insensitive.
 *
 * Refused with a reason: aggregations after `|` (`| count() > 5`), `near`, quantifiers other than
 * `1`/`any`/`all`, and any syntax error.
 *
 * @throws {SigmaRuleError}
 */
export function parseCondition(condition: string): ConditionNode {
  return new Parser(condition).parse();
}

/**
 * Binds a condition to compiled selections, checking every name it uses, and returns one record
 * test that evaluates lazily (`and`/`or` short-circuit).
 *
 * @throws {SigmaRuleError} when the condition names a selection that does not exist, or an `of`
 * pattern matches none.
 */
export function bindCondition(node: ConditionNode, selections: ReadonlyMap<string, RecordTest>): RecordTest {
  switch (node.type) {
    case 'selection': {
      const test = selections.get(node.name);
      if (!test) {
        throw new SigmaRuleError(
          `condition names selection '${node.name}', which the detection does not define (defined: ${[...selections.keys()].join(', ') || 'none'})`,
        );
      }
      return test;
    }
    case 'of': {
      const names = namesMatching(node.target, [...selections.keys()]);
      const shown = `${node.quantifier === 'one' ? '1' : 'all'} of ${node.target}`;
      if (names.length === 0) throw new SigmaRuleError(`'${shown}' in the condition matches no selection`);
      const tests = names.map((name) => selections.get(name)!);
      if (tests.length === 1) return tests[0]!;
      return node.quantifier === 'one'
        ? (record) => tests.some((test) => test(record))
        : (record) => tests.every((test) => test(record));
    }
    case 'not': {
      const operand = bindCondition(node.operand, selections);
      return (record) => !operand(record);
    }
    case 'and': {
      const operands = node.operands.map((operand) => bindCondition(operand, selections));
      return (record) => operands.every((test) => test(record));
    }
    case 'or': {
      const operands = node.operands.map((operand) => bindCondition(operand, selections));
      return (record) => operands.some((test) => test(record));
    }
  }
}

/** Selection names an `of` target covers, in definition order. */
function namesMatching(target: string, names: readonly string[]): string[] {
  // The spec: `them` covers every search identifier except those starting with `_`.
  if (target === THEM) return names.filter((name) => !name.startsWith('_'));
  const pattern = new RegExp(`^${target.split('*').map(escapeRegExp).join('.*')}$`);
  return names.filter((name) => pattern.test(name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Recursive descent over the tokens; one instance per condition string. */
class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenise(source);
  }

  parse(): ConditionNode {
    if (this.tokens.length === 0) throw this.error('condition is empty');
    const node = this.parseOr();
    const rest = this.peek();
    if (rest) throw this.error(`unexpected '${rest.text}'`);
    return node;
  }

  private parseOr(): ConditionNode {
    const operands = [this.parseAnd()];
    while (this.acceptKeyword('or')) operands.push(this.parseAnd());
    return operands.length === 1 ? operands[0]! : { type: 'or', operands };
  }

  private parseAnd(): ConditionNode {
    const operands = [this.parseUnary()];
    while (this.acceptKeyword('and')) operands.push(this.parseUnary());
    return operands.length === 1 ? operands[0]! : { type: 'and', operands };
  }

  private parseUnary(): ConditionNode {
    if (this.acceptKeyword('not')) return { type: 'not', operand: this.parseUnary() };
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    const token = this.next();
    if (!token) throw this.error('expected a selection name, "(", "not" or "1 of"/"all of", found the end');
    if (token.kind === '(') {
      const inner = this.parseOr();
      const close = this.next();
      if (close?.kind !== ')') throw this.error(close ? `expected ')', found '${close.text}'` : "missing ')'");
      return inner;
    }
    if (token.kind !== 'word') throw this.error(`unexpected '${token.text}'`);
    const word = token.text.toLowerCase();
    const following = this.peek();
    if (following?.kind === 'word' && following.text.toLowerCase() === 'of') return this.parseOf(token.text);
    if (KEYWORDS.has(word)) throw this.error(`expected a selection name, found keyword '${token.text}'`);
    if (token.text.includes('*'))
      throw this.error(`wildcard name '${token.text}' is only valid after '1 of' or 'all of'`);
    return { type: 'selection', name: token.text };
  }

  private parseOf(quantifierText: string): ConditionNode {
    this.index++; // the `of` keyword
    const quantifier = quantifierText.toLowerCase();
    if (quantifier !== '1' && quantifier !== 'any' && quantifier !== 'all') {
      throw this.error(`'${quantifierText} of' is not supported; use '1 of' or 'all of'`);
    }
    const target = this.next();
    if (target?.kind !== 'word') throw this.error(`expected a name pattern or 'them' after '${quantifierText} of'`);
    const lower = target.text.toLowerCase();
    if (lower !== THEM && KEYWORDS.has(lower))
      throw this.error(`expected a name pattern or 'them', found keyword '${target.text}'`);
    return {
      type: 'of',
      quantifier: quantifier === 'all' ? 'all' : 'one',
      target: lower === THEM ? THEM : target.text,
    };
  }

  private acceptKeyword(keyword: string): boolean {
    const token = this.peek();
    if (token?.kind === 'word' && token.text.toLowerCase() === keyword) {
      this.index++;
      return true;
    }
    return false;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(): Token | undefined {
    return this.tokens[this.index++];
  }

  private error(problem: string): SigmaRuleError {
    return new SigmaRuleError(`condition '${this.source}': ${problem}`);
  }
}

/** Splits a condition into words and punctuation, refusing the constructs no parser rule covers. */
function tokenise(source: string): Token[] {
  const tokens: Token[] = [];
  for (const match of source.matchAll(/[()|]|[^\s()|]+/g)) {
    const text = match[0];
    if (text === '|') {
      // Sigma 1 aggregations (`| count() by x > 5`) need state across records: not a stateless rule.
      const aggregation = source.slice(match.index + 1).trim();
      throw new SigmaRuleError(`condition '${source}': aggregation '| ${aggregation}' is not supported`);
    }
    if (text === '(' || text === ')') {
      tokens.push({ kind: text, text });
      continue;
    }
    if (text.toLowerCase() === 'near') {
      throw new SigmaRuleError(`condition '${source}': 'near' (temporal correlation) is not supported`);
    }
    if (!IDENTIFIER.test(text)) throw new SigmaRuleError(`condition '${source}': unexpected '${text}'`);
    tokens.push({ kind: 'word', text });
  }
  return tokens;
}

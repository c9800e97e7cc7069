import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bindCondition, parseCondition, type ConditionNode } from '../../../functions/detectors/sigma/condition.ts';
import { SigmaRuleError } from '../../../functions/detectors/sigma/errors.ts';
import type { RecordTest } from '../../../functions/detectors/sigma/matcher.ts';

const id = (name: string): ConditionNode => ({ type: 'selection', name });

/** The reason `run` is refused with. */
function refusal(run: () => unknown): string {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, SigmaRuleError, 'condition was accepted');
  return (caught as SigmaRuleError).reason;
}

/** Selections that match when the record (a map of name → boolean) says so. */
function selectionsNamed(...names: string[]): Map<string, RecordTest> {
  return new Map(names.map((name) => [name, (record: unknown) => (record as Record<string, boolean>)[name] === true]));
}

/** Evaluates `condition` over selections `names` for a record where exactly `truthy` hold. */
function evaluate(condition: string, names: string[], truthy: string[]): boolean {
  const record = Object.fromEntries(truthy.map((name) => [name, true]));
  return bindCondition(parseCondition(condition), selectionsNamed(...names))(record);
}

const ParseCondition = suite('parseCondition');

ParseCondition('a single identifier is a selection reference', () => {
  assert.equal(parseCondition('selection'), id('selection'));
});

ParseCondition('not binds tighter than and, and tighter than or', () => {
  assert.equal(parseCondition('a or b and not c'), {
    type: 'or',
    operands: [id('a'), { type: 'and', operands: [id('b'), { type: 'not', operand: id('c') }] }],
  });
});

ParseCondition('chains of the same operator flatten into one node', () => {
  assert.equal(parseCondition('a and b and c'), { type: 'and', operands: [id('a'), id('b'), id('c')] });
});

ParseCondition('parentheses override precedence', () => {
  assert.equal(parseCondition('(a or b) and not (c or d)'), {
    type: 'and',
    operands: [
      { type: 'or', operands: [id('a'), id('b')] },
      { type: 'not', operand: { type: 'or', operands: [id('c'), id('d')] } },
    ],
  });
});

ParseCondition('1 of, any of and all of take a pattern or them', () => {
  assert.equal(parseCondition('1 of selection_*'), { type: 'of', quantifier: 'one', target: 'selection_*' });
  assert.equal(parseCondition('any of sel*'), { type: 'of', quantifier: 'one', target: 'sel*' });
  assert.equal(parseCondition('all of them'), { type: 'of', quantifier: 'all', target: 'them' });
  assert.equal(parseCondition('sel and not 1 of filter*'), {
    type: 'and',
    operands: [id('sel'), { type: 'not', operand: { type: 'of', quantifier: 'one', target: 'filter*' } }],
  });
});

ParseCondition('keywords are case-insensitive, identifiers keep their case', () => {
  assert.equal(parseCondition('Sel AND NOT Filter'), {
    type: 'and',
    operands: [id('Sel'), { type: 'not', operand: id('Filter') }],
  });
  assert.equal(parseCondition('ALL OF Them'), { type: 'of', quantifier: 'all', target: 'them' });
});

ParseCondition('refuses aggregations after a pipe', () => {
  assert.is(
    refusal(() => parseCondition('selection | count() by sourceIPAddress > 5')),
    "condition 'selection | count() by sourceIPAddress > 5': aggregation '| count() by sourceIPAddress > 5' is not supported",
  );
});

ParseCondition('refuses near', () => {
  assert.match(
    refusal(() => parseCondition('sel1 near sel2')),
    "'near' (temporal correlation) is not supported",
  );
});

ParseCondition('refuses quantifiers other than 1, any and all', () => {
  assert.match(
    refusal(() => parseCondition('2 of sel*')),
    "'2 of' is not supported",
  );
});

ParseCondition('refuses syntax errors, quoting the condition', () => {
  assert.is(
    refusal(() => parseCondition('')),
    "condition '': condition is empty",
  );
  assert.match(
    refusal(() => parseCondition('a and')),
    "condition 'a and': expected a selection name",
  );
  assert.match(
    refusal(() => parseCondition('(a or b')),
    "missing ')'",
  );
  assert.match(
    refusal(() => parseCondition('a or b)')),
    "unexpected ')'",
  );
  assert.match(
    refusal(() => parseCondition('a b')),
    "unexpected 'b'",
  );
  assert.match(
    refusal(() => parseCondition('a and or b')),
    "found keyword 'or'",
  );
  assert.match(
    refusal(() => parseCondition('sel*')),
    "wildcard name 'sel*' is only valid after '1 of' or 'all of'",
  );
  assert.match(
    refusal(() => parseCondition('a = b')),
    "unexpected '='",
  );
  assert.match(
    refusal(() => parseCondition('1 of')),
    "expected a name pattern or 'them'",
  );
});

ParseCondition.run();

const BindCondition = suite('bindCondition');

BindCondition('and, or and not evaluate with the expected precedence', () => {
  const names = ['a', 'b', 'c'];
  // a or (b and not c)
  assert.ok(evaluate('a or b and not c', names, ['a', 'c']));
  assert.ok(evaluate('a or b and not c', names, ['b']));
  assert.not.ok(evaluate('a or b and not c', names, ['b', 'c']));
  assert.not.ok(evaluate('a or b and not c', names, []));
  // (a or b) and not c
  assert.not.ok(evaluate('(a or b) and not c', names, ['a', 'c']));
  assert.ok(evaluate('not not a', names, ['a']));
});

BindCondition('1 of pattern needs one matching selection, all of pattern needs every one', () => {
  const names = ['selection_call', 'selection_world', 'filter'];
  assert.ok(evaluate('1 of selection_*', names, ['selection_world']));
  assert.not.ok(evaluate('1 of selection_*', names, ['filter']));
  assert.not.ok(evaluate('all of selection_*', names, ['selection_call']));
  assert.ok(evaluate('all of selection_*', names, ['selection_call', 'selection_world']));
  assert.ok(evaluate('all of *_world', names, ['selection_world']));
});

BindCondition('them covers every selection except those starting with _', () => {
  const names = ['a', 'b', '_helper'];
  assert.ok(evaluate('all of them', names, ['a', 'b']));
  assert.not.ok(evaluate('1 of them', names, ['_helper']));
  assert.ok(evaluate('_helper', names, ['_helper']));
});

BindCondition('refuses a condition naming a selection that does not exist', () => {
  assert.is(
    refusal(() => bindCondition(parseCondition('selection and not filter'), selectionsNamed('selection'))),
    "condition names selection 'filter', which the detection does not define (defined: selection)",
  );
});

BindCondition('refuses an of pattern that matches no selection', () => {
  assert.is(
    refusal(() => bindCondition(parseCondition('1 of filter*'), selectionsNamed('selection'))),
    "'1 of filter*' in the condition matches no selection",
  );
  assert.match(
    refusal(() => bindCondition(parseCondition('all of them'), selectionsNamed('_only'))),
    "'all of them' in the condition matches no selection",
  );
});

BindCondition.run();

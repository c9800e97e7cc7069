import { createRequire } from 'node:module';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CORRELATION_SHARDS } from '../../functions/core/correlation.ts';
import {
  DEFINITION_PLACEHOLDERS,
  placeholdersIn,
  readDefinition,
  substitute,
  TASK_STATES,
} from '../../statemachine/definition.ts';

// asl-validator is CommonJS without types.
const require = createRequire(import.meta.url);
const validateAsl = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

interface State {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { ProcessorConfig?: { Mode?: string }; StartAt: string; States: Record<string, State> };
  Iterator?: { StartAt: string; States: Record<string, State> };
  [key: string]: unknown;
}
interface Machine {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
  [key: string]: unknown;
}

const text = readDefinition();
const dummyArns = Object.fromEntries(
  DEFINITION_PLACEHOLDERS.map((name) => [name, `arn:aws:lambda:eu-west-1:123456789012:function:${name}`]),
);
const machine = () => JSON.parse(substitute(text, dummyArns)) as Machine;

/** Every state with its path and the Map states it sits in (outermost first). */
function walk(
  states: Record<string, State>,
  enclosing: { name: string; state: State }[] = [],
): { name: string; state: State; enclosing: { name: string; state: State }[] }[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const inner = state.ItemProcessor ?? state.Iterator;
    return [{ name, state, enclosing }, ...(inner ? walk(inner.States, [...enclosing, { name, state }]) : [])];
  });
}

const test = suite('audit.asl.json');

test('is valid ASL once the placeholders are filled (asl-validator)', () => {
  const result = validateAsl(machine());
  assert.equal(result.errors, []);
  assert.ok(result.isValid);
});

test('its placeholders are exactly DEFINITION_PLACEHOLDERS', () => {
  assert.equal(placeholdersIn(text), [...DEFINITION_PLACEHOLDERS].sort());
});

test('each Task state is bound to its placeholder (TASK_STATES)', () => {
  const tasks = walk(machine().States).filter((s) => s.state.Type === 'Task');
  assert.equal(tasks.map((t) => t.name).sort(), Object.keys(TASK_STATES).sort());
  for (const task of tasks) {
    const placeholder = TASK_STATES[task.name as keyof typeof TASK_STATES];
    assert.is(task.state.Resource, dummyArns[placeholder], task.name);
  }
});

test('every Task retries, and retries the Lambda service errors', () => {
  for (const { name, state } of walk(machine().States).filter((s) => s.state.Type === 'Task')) {
    assert.ok(state.Retry && state.Retry.length > 0, `${name} has no Retry`);
    const retried = state.Retry!.filter((r) => (r.MaxAttempts ?? 3) > 0).flatMap((r) => r.ErrorEquals);
    assert.ok(
      retried.includes('Lambda.ServiceException') || retried.includes('States.ALL'),
      `${name} does not retry Lambda service errors`,
    );
  }
});

test('every Task has a Catch or sits inside a Map whose Catch covers States.ALL', () => {
  for (const { name, state, enclosing } of walk(machine().States).filter((s) => s.state.Type === 'Task')) {
    const own = state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL'));
    const byMap = enclosing.some(
      (outer) => outer.state.Type === 'Map' && outer.state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')),
    );
    assert.ok(own || byMap, `${name} failures are not caught`);
  }
});

test('invalid input is never retried', () => {
  const plan = machine().States.Plan!;
  const first = plan.Retry![0]!;
  assert.ok(first.ErrorEquals.includes('InvalidInputError'));
  assert.is(first.MaxAttempts, 0);
});

test('the Analyze Map is a Distributed Map fed by Plan: concurrency and tolerated failures come from its output', () => {
  const maps = walk(machine().States).filter((s) => s.state.Type === 'Map');
  assert.equal(maps.map((m) => m.name).sort(), ['AnalyzeObjects', 'CorrelateKeys']);
  const map = machine().States.AnalyzeObjects!;
  assert.is(map.ItemProcessor?.ProcessorConfig?.Mode, 'DISTRIBUTED');
  assert.match(String(map.MaxConcurrencyPath), /^\$\.plan\./);
  assert.match(String(map.ToleratedFailurePercentagePath), /^\$\.plan\./);
});

test('Correlate runs after the Analyze Map, succeeded or not, once per shard, then Publish learns whether it finished', () => {
  const states = machine().States;
  assert.is(states.AnalyzeObjects!.Next, 'CorrelationShards');
  assert.is(states.AnalyzeObjects!.Catch![0]!.Next, 'CorrelationShards');
  assert.equal(states.CorrelationShards!.Parameters, {
    'shards.$': `States.ArrayRange(0, ${CORRELATION_SHARDS - 1}, 1)`,
  });
  const map = states.CorrelateKeys!;
  assert.is(map.ItemsPath, '$.correlation.shards');
  assert.equal(map.ItemSelector, { 'runId.$': '$.plan.runId', 'shard.$': '$$.Map.Item.Value' });
  assert.is(map.Next, 'Correlated');
  assert.equal(
    map.Catch!.map((c) => [c.ErrorEquals, c.Next]),
    [[['States.ALL'], 'CorrelateFailed']],
  );
  assert.equal(
    [states.Correlated!.Result, states.Correlated!.ResultPath, states.Correlated!.Next],
    [true, '$.correlated', 'Publish'],
  );
  assert.equal(
    [states.CorrelateFailed!.Result, states.CorrelateFailed!.ResultPath, states.CorrelateFailed!.Next],
    [false, '$.correlated', 'Publish'],
  );
  assert.equal(states.Publish!.Parameters, { 'runId.$': '$.plan.runId', 'correlated.$': '$.correlated' });
});

test('a run has a timeout', () => {
  const timeout = machine().TimeoutSeconds;
  assert.ok(typeof timeout === 'number' && timeout > 0 && timeout <= 86400);
});

test('JSONPath only: no JSONata, no variables (the local interpreter supports neither)', () => {
  const all = machine();
  assert.is(all.QueryLanguage ?? 'JSONPath', 'JSONPath');
  for (const { name, state } of walk(all.States)) {
    assert.is(state.QueryLanguage ?? 'JSONPath', 'JSONPath', name);
    for (const field of ['Assign', 'Arguments', 'Output']) assert.is(state[field], undefined, `${name} uses ${field}`);
  }
  assert.not.match(text, /\{%/);
});

test.run();

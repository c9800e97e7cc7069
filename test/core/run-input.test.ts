import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidInputError } from '../../functions/core/errors.ts';
import { parseRunInput } from '../../functions/core/run-input.ts';

const input = suite('parseRunInput');

function rejects(raw: unknown, message: string) {
  try {
    parseRunInput(raw);
  } catch (error) {
    assert.instance(error, InvalidInputError);
    assert.match((error as Error).message, message);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(raw)}`);
}

input('treats {} and no input as a scheduled run', () => {
  assert.equal(parseRunInput({}), { mode: 'scheduled' });
  assert.equal(parseRunInput(undefined), { mode: 'scheduled' });
});

input('normalises a backfill; a date-only "to" includes that whole day', () => {
  assert.equal(
    parseRunInput({
      mode: 'backfill',
      from: '2017-11-28',
      to: '2017-11-28',
      accounts: ['123456789012'],
      regions: 'us-east-1, eu-west-1',
    }),
    {
      mode: 'backfill',
      from: '2017-11-28T00:00:00.000Z',
      to: '2017-11-29T00:00:00.000Z',
      accounts: ['123456789012'],
      regions: ['us-east-1', 'eu-west-1'],
    },
  );
});

input('says what is wrong with a bad input', () => {
  rejects({ mode: 'backfill', from: '2017-11-29', to: '2017-11-28T00:00:00Z' }, 'must be before');
  rejects({ mode: 'backfill', to: '2017-11-28' }, '"from" is required');
  rejects({ mode: 'backfill', from: '2017-02-30', to: '2017-03-01' }, 'not a real date');
  rejects({ mode: 'backfill', from: '2017-11-28T10:00', to: '2017-11-29' }, 'time zone');
  rejects({ mode: 'backfill', from: 'yesterday', to: '2017-11-29' }, 'not an ISO date');
  rejects({ mode: 'replay' }, 'unknown mode');
  rejects({ from: '2017-11-28', to: '2017-11-29' }, 'add "mode": "backfill"');
  rejects({ accounts: ['12345'] }, '"accounts" has values that are not 12-digit account ids: 12345');
  rejects({ regions: ['US East'] }, 'region names');
  rejects([], 'JSON object');
});

input.run();

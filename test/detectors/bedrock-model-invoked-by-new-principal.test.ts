import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bedrockModelInvokedByNewPrincipal as detector,
  createBedrockModelInvokedByNewPrincipal,
} from '../../functions/detectors/bedrock-model-invoked-by-new-principal.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall, aFailed, anAssumedRole } from '../helpers/records.ts';

const test = suite('bedrock-model-invoked-by-new-principal');
// The documented detonation: ListFoundationModels, then InvokeModel with a modelId.
const invoke = (eventTime: string, userIdentity = anAssumedRole('ChatApp', 'worker')) =>
  aCall('bedrock', 'InvokeModel', { modelId: 'anthropic.claude-v2' }, { eventTime, userIdentity, readOnly: true });

test("flags a principal's first invocation once, showing the earliest call", async () => {
  const verdicts = await verdictsOf(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 5)
      .map((time) => invoke(time))
      .reverse(),
  );
  assert.is(verdicts.length, 1);
  assert.is(verdicts[0]!.record.eventTime, '2026-10-01T12:00:00Z');
  assert.match(verdicts[0]!.match.reason ?? '', 'invoked Bedrock (anthropic.claude-v2) for the first time');
});

test('reports one finding per principal, and nothing for listing models', async () => {
  const other = anAssumedRole('Stolen', 'attacker');
  const records = [
    invoke('2026-10-01T12:00:00Z'),
    invoke('2026-10-01T12:01:00Z', other),
    aCall('bedrock', 'ListFoundationModels'),
  ];
  assert.is((await verdictsOf(detector, records)).length, 2);
});

test('leaves known principals out, and reports a failed debut one step lower', async () => {
  const tuned = createBedrockModelInvokedByNewPrincipal({ knownPrincipals: [/:assumed-role\/ChatApp\//] });
  assert.equal(await verdictsOf(tuned, [invoke('2026-10-01T12:00:00Z')]), []);
  const verdicts = await verdictsOf(detector, [aFailed(invoke('2026-10-01T12:00:00Z'), 'ValidationException')]);
  assert.is(verdicts[0]!.match.severity, 'low');
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  const other = anAssumedRole('Stolen', 'attacker');
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 12).map((time, i) => invoke(time, i % 2 ? other : undefined)),
  );
});

test.run();

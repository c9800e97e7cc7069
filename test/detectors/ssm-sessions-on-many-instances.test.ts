import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ssmSessionsOnManyInstances as detector } from '../../functions/detectors/ssm-sessions-on-many-instances.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('ssm-sessions-on-many-instances');
// The documented shape: ssm StartSession with requestParameters.target (an instance id).
const start = (target: string, eventTime: string) => aCall('ssm', 'StartSession', { target }, { eventTime });
const targets = ['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783'];

test('flags sessions on three instances within ten minutes', async () => {
  const verdicts = await verdictsOf(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) => start(targets[i]!, time)),
  );
  assert.is(verdicts.length, 1);
  assert.match(verdicts[0]!.match.reason ?? '', 'opened sessions on 3 distinct instances');
});

test('ignores an operator returning to the same instance', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 6).map((time) => start(targets[0]!, time)),
    ),
    [],
  );
});

test('ignores sessions spread over hours', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 3, 3600).map((time, i) => start(targets[i]!, time)),
    ),
    [],
  );
});

test('reports failed attempts one step lower', async () => {
  const verdicts = await verdictsOf(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) => aFailed(start(targets[i]!, time))),
  );
  assert.is(verdicts[0]!.match.severity, 'low');
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:08:00Z', 9, 40).map((time, i) => start(targets[i % 3]!, time)),
  );
});

test.run();

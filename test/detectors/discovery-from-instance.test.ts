import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { discoveryFromInstance as detector } from '../../functions/detectors/discovery-from-instance.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall, anInstanceSession, EC2_ENUMERATE_FROM_INSTANCE } from '../helpers/records.ts';

const test = suite('discovery-from-instance');
// The documented detonation, run with the instance role.
const DETONATION = EC2_ENUMERATE_FROM_INSTANCE;
const fromInstance = (times: string[], userIdentity = anInstanceSession()) =>
  times.map((eventTime, i) =>
    aCall(DETONATION[i % DETONATION.length]![0], DETONATION[i % DETONATION.length]![1], null, {
      eventTime,
      userIdentity,
      readOnly: true,
    }),
  );

test('flags an instance session running the documented discovery commands', async () => {
  const verdicts = await verdictsOf(detector, fromInstance(timesFrom('2026-10-01T12:00:00Z', 9)));
  assert.is(verdicts.length, 1);
  assert.match(
    verdicts[0]!.match.reason ?? '',
    'assumed-role/WebServerRole/i-0a1b2c3d4e5f60789 made more than 5 distinct discovery calls',
  );
});

test('matches an instance id in mixed case, as anonymised datasets write it', async () => {
  const scrambled = anInstanceSession('i-786a3A8B5C0d92eF4');
  const verdicts = await verdictsOf(detector, fromInstance(timesFrom('2026-10-01T12:00:00Z', 9), scrambled));
  assert.is(verdicts.length, 1);
});

test('ignores the same calls by a person, and a workload listing buckets all day', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 9).map((eventTime, i) =>
        aCall(DETONATION[i]![0], DETONATION[i]![1], null, { eventTime }),
      ),
    ),
    [],
  );
  assert.equal(
    await verdictsOf(
      detector,
      fromInstance(timesFrom('2026-10-01T12:00:00Z', 2)).flatMap((record) => [
        record,
        { ...record, eventID: `${record.eventID}-b` },
      ]),
    ),
    [],
  );
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(detector, fromInstance(timesFrom('2026-10-01T12:08:00Z', 18, 20)));
});

test.run();

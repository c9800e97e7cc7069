import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ssmCommandsOnManyInstances as detector } from '../../functions/detectors/ssm-commands-on-many-instances.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('ssm-commands-on-many-instances');
// The documented shape: SendCommand with documentName and instanceIds (or targets).
const send = (instanceIds: string[], eventTime = '2026-10-01T12:00:00Z') =>
  aCall('ssm', 'SendCommand', { documentName: 'AWS-RunShellScript', instanceIds, interactive: false }, { eventTime });

test('flags one command sent to three instances', async () => {
  const verdicts = await verdictsOf(detector, [
    send(['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783']),
  ]);
  assert.is(verdicts.length, 1);
  assert.match(verdicts[0]!.match.reason ?? '', 'sent commands to 3 distinct instances');
});

test('ignores commands to one instance and DescribeInstanceInformation', async () => {
  assert.equal(
    await verdictsOf(detector, [
      send(['i-0a1b2c3d4e5f60781']),
      send(['i-0a1b2c3d4e5f60781']),
      aCall('ssm', 'DescribeInstanceInformation'),
    ]),
    [],
  );
});

test('counts tag targets as items', async () => {
  const record = aCall(
    'ssm',
    'SendCommand',
    { documentName: 'AWS-RunShellScript', targets: [{ key: 'tag:Env', values: ['prod'] }] },
    { eventTime: '2026-10-01T12:00:00Z' },
  );
  assert.equal(await verdictsOf(detector, [record, send(['i-0a1b2c3d4e5f60781'])]), []);
  assert.is((await verdictsOf(detector, [record, send(['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782'])])).length, 1);
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:05:00Z', 6, 90).map((time, i) => send([`i-0a1b2c3d4e5f6078${i}`], time)),
  );
});

test.run();

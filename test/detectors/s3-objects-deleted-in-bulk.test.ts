import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { s3ObjectsDeletedInBulk as detector } from '../../functions/detectors/s3-objects-deleted-in-bulk.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('s3-objects-deleted-in-bulk');
// S3 data events as documented: DeleteObject names the key (and versionId); DeleteObjects does not.
const data = { eventCategory: 'Data', managementEvent: false };
const deleteOne = (key: string, eventTime: string, versionId?: string) =>
  aCall(
    's3',
    'DeleteObject',
    {
      bucketName: 'target-bucket',
      Host: 'target-bucket.s3.us-east-1.amazonaws.com',
      key,
      ...(versionId ? { versionId } : {}),
    },
    { eventTime, ...data },
  );

test('flags the individual deletion of every version of 20 objects', async () => {
  const records = timesFrom('2026-10-01T12:00:00Z', 25, 2).map((time, i) => deleteOne(`file-${i}.txt`, time, `v${i}`));
  const verdicts = await verdictsOf(detector, records);
  assert.is(verdicts.length, 1);
  assert.match(verdicts[0]!.match.reason ?? '', 'deleted more than 20 distinct objects');
});

test('flags one DeleteObjects call, which may remove a thousand objects', async () => {
  const batch = aCall(
    's3',
    'DeleteObjects',
    { bucketName: 'target-bucket', delete: '', 'x-id': 'DeleteObjects' },
    data,
  );
  assert.is((await verdictsOf(detector, [batch])).length, 1);
});

test('ignores an application deleting a few temporary objects', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 5).map((time, i) => deleteOne(`tmp/${i}`, time)),
    ),
    [],
  );
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:09:00Z', 40, 3).map((time, i) => deleteOne(`file-${i}.txt`, time)),
  );
});

test.run();

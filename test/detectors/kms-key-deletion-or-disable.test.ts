import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kmsKeyDeletionOrDisable } from '../../functions/detectors/kms-key-deletion-or-disable.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('kms-key-deletion-or-disable');
const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';

test('matches ScheduleKeyDeletion with its waiting period', () => {
  assert.equal(kmsKeyDeletionOrDisable.detect(aCall('kms', 'ScheduleKeyDeletion', { keyId, pendingWindowInDays: 7 })), {
    reason: `ScheduleKeyDeletion requested for key '${keyId}' with a 7-day waiting period.`,
  });
});

test('matches DisableKey', () => {
  assert.is(
    kmsKeyDeletionOrDisable.detect(aCall('kms', 'DisableKey', { keyId }))?.reason,
    `DisableKey requested for key '${keyId}'.`,
  );
});

test('reports a failed call one step lower', () => {
  assert.is(
    kmsKeyDeletionOrDisable.detect(aFailed(aCall('kms', 'ScheduleKeyDeletion', { keyId })))?.severity,
    'medium',
  );
});

test('ignores EnableKey, CancelKeyDeletion and Decrypt', () => {
  for (const name of ['EnableKey', 'CancelKeyDeletion', 'Decrypt'])
    assert.is(kmsKeyDeletionOrDisable.detect(aCall('kms', name, { keyId })), undefined);
});

test.run();

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openLocalStore, StoreError } from '../../cli/local/store.ts';
import { tempDir } from '../helpers/local.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const store = suite<{ dir: string; cleanup: () => Promise<void> }>('openLocalStore', {
  dir: '',
  cleanup: async () => {},
});

store.before.each(async (context) => {
  Object.assign(context, await tempDir());
});

store.after.each(async ({ cleanup }) => {
  await cleanup();
});

async function refusal(open: () => Promise<unknown>): Promise<StoreError> {
  try {
    await open();
  } catch (error) {
    assert.instance(error, StoreError);
    return error as StoreError;
  }
  throw new Error('the store opened');
}

store('a second open of a store in use is refused with a StoreError, and the first keeps working', async ({ dir }) => {
  const first = await openLocalStore(dir);
  try {
    const error = await refusal(() => openLocalStore(dir));
    assert.is(
      error.message,
      `store ${dir}: is in use by another trail-auditor process (one process at a time per store); wait for it to finish, or use another --store`,
    );
    assert.ok(await first.client.config.region());
  } finally {
    await first.close();
  }
  // Free again once the first is closed.
  await (await openLocalStore(dir)).close();
});

store('a damaged store is refused saying so, with LevelDB\u2019s reason', async ({ dir }) => {
  await (await openLocalStore(dir)).close();
  writeFileSync(join(dir, 'dynamodb', 'CURRENT'), 'MANIFEST-424242\n');
  const error = await refusal(() => openLocalStore(dir));
  assert.match(
    error.message,
    /^store .*: is damaged or unreadable \(.*MANIFEST-424242.*\); move it aside and audit again to rebuild it$/,
  );
});

store('mustExist: a missing folder is refused and not created; a folder without a store says so', async ({ dir }) => {
  const missing = join(dir, 'nope');
  assert.match((await refusal(() => openLocalStore(missing, { mustExist: true }))).message, /: does not exist$/);
  assert.not.ok(existsSync(missing));
  assert.match((await refusal(() => openLocalStore(dir, { mustExist: true }))).message, /holds no trail-auditor store/);
  assert.not.ok(existsSync(join(dir, 'dynamodb')));
});

store.run();

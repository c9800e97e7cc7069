import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocalAudit, type LocalAuditOptions } from '../../cli/local/runner.ts';
import { openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import { WORKSHOP_ALARM } from '../../functions/core/alarms.ts';
import { DEFAULT_CONFIG } from '../../functions/core/config.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';

/** A temporary folder, removed by `cleanup`. */
export async function tempDir(prefix = 'trail-auditor-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A dynalite store in a temporary folder, and a runner of the real state machine over it. */
export async function localHarness() {
  const { dir, cleanup } = await tempDir();
  const store: LocalStore = await openLocalStore(dir);
  return {
    dir,
    store,
    run: (options: Pick<LocalAuditOptions, 'lister' | 'reader' | 'input'> & Partial<LocalAuditOptions>) =>
      runLocalAudit({
        store,
        storeDir: dir,
        config: { ...DEFAULT_CONFIG, initialLookbackHours: null, deliverySlackHours: null, scheduleLeaseMinutes: 0 },
        detectors: BUILT_IN_DETECTORS,
        alarms: [WORKSHOP_ALARM],
        ...options,
      }),
    async close() {
      await store.close();
      await cleanup();
    },
  };
}

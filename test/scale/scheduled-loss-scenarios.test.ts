import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSummary } from '../../cli/format.ts';
import { LOCAL_CONFIG } from '../../cli/local/audit.ts';
import { openLocalStore } from '../../cli/local/store.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { WORKSHOP_ALARM } from '../../functions/core/alarms.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { runHarness, tempDir } from '../helpers/local.ts';

/*
 * The three ways scheduled local runs lost objects when selection compared file mtimes with a
 * checkpoint (issue 8, item 4), each run through the real local audit: a folder with real mtimes,
 * the embedded store, the state machine, with LOCAL_CONFIG as the CLI uses it and a clock we set.
 * On the mtime selection each test fails (the file is never analysed, or the folder gives "0
 * listed" and a hint about the key layout); with the ledger every file is analysed once.
 */

const scope = { trailPrefix: '', account: '123456789012' };
const minutes = (n: number) => n * 60_000;

/** A trail folder and a store, and a scheduled audit at a time we choose. */
async function harness() {
  const trail = await tempDir('trail-auditor-trail-');
  const store = await tempDir('trail-auditor-store-');
  const opened = await openLocalStore(store.dir);
  const folder = new FolderTrail(trail.dir);
  let serial = 0;
  return {
    /** Writes a log file stamped `stamp` whose mtime is `mtime`; returns its key. */
    async put(stamp: Date, mtime: Date): Promise<string> {
      const key = buildLogKey(scope, 'us-east-1', stamp, `file${serial++}`);
      const record = {
        eventVersion: '1.09',
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'StopLogging',
        eventID: `evt-${key}`,
        eventTime: stamp.toISOString(),
        awsRegion: 'us-east-1',
        recipientAccountId: scope.account,
      };
      const path = join(trail.dir, ...key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, gzipSync(JSON.stringify({ Records: [record] })));
      await utimes(path, mtime, mtime);
      return key;
    },
    /** A scheduled audit at `at`: the keys it analysed, and its human summary. */
    async audit(at: Date): Promise<{ analysed: string[]; text: string }> {
      const analysed: string[] = [];
      const reader = { read: (key: string) => (analysed.push(key), folder.read(key)) };
      const result = await runHarness(opened, store.dir, {
        lister: folder,
        reader,
        input: { mode: 'scheduled' },
        config: LOCAL_CONFIG,
        detectors: BUILT_IN_DETECTORS,
        alarms: [WORKSHOP_ALARM],
        now: () => at,
        runId: `scheduled-${at.getTime()}`,
      });
      assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
      return { analysed, text: formatSummary(result.summary, result.status, []) };
    },
    async close() {
      await opened.close();
      await trail.cleanup();
      await store.cleanup();
    },
  };
}

const scenarios = suite('scheduled local runs over files that mtimes misplace');

scenarios(
  'a file that a sync brings after a run, with an S3 time before that run, is analysed by the next run',
  async () => {
    const h = await harness();
    try {
      const t0 = new Date('2026-11-30T12:00:00Z');
      const early = await h.put(new Date(t0.getTime() - minutes(60)), new Date(t0.getTime() - minutes(55)));
      assert.equal((await h.audit(t0)).analysed, [early]);
      // Delivered to S3 at 11:52 (the file's mtime after `aws s3 sync`), before the first run's
      // checkpoint (11:55 with the 5-minute settle), but synced only at 12:20.
      const late = await h.put(new Date(t0.getTime() - minutes(15)), new Date(t0.getTime() - minutes(8)));
      assert.equal((await h.audit(new Date(t0.getTime() + minutes(20)))).analysed, [late]);
      assert.equal((await h.audit(new Date(t0.getTime() + minutes(40)))).analysed, []);
    } finally {
      await h.close();
    }
  },
);

scenarios('a file with an old mtime and a recent stamp is analysed', async () => {
  const h = await harness();
  try {
    const t0 = new Date('2026-11-30T12:00:00Z');
    await h.put(new Date(t0.getTime() - minutes(60)), new Date(t0.getTime() - minutes(55)));
    await h.audit(t0);
    const backdated = await h.put(new Date(t0.getTime() + minutes(5)), new Date('2001-01-01T00:00:00Z'));
    assert.equal((await h.audit(new Date(t0.getTime() + minutes(20)))).analysed, [backdated]);
  } finally {
    await h.close();
  }
});

scenarios(
  'a folder copied in just before the first run is analysed, once, with no hint about the key layout',
  async () => {
    const h = await harness();
    try {
      const t0 = new Date('2026-11-30T12:00:00Z');
      // Stamps from 2017 (a copied sample), mtimes the copy's: all inside the old 5-minute settle window.
      const copied: string[] = [];
      for (let i = 0; i < 3; i++)
        copied.push(await h.put(new Date(Date.UTC(2017, 10, 28, 19, 5 * i)), new Date(t0.getTime() - minutes(1))));
      const first = await h.audit(t0);
      assert.equal(first.analysed.sort(), copied.sort());
      assert.not.match(first.text, 'no log objects found');
      // Later runs leave them alone, and say there is nothing new rather than blaming the layout.
      const later = await h.audit(new Date(t0.getTime() + minutes(30)));
      assert.equal(later.analysed, []);
      assert.match(later.text, 'nothing new since the last scheduled run');
    } finally {
      await h.close();
    }
  },
);

scenarios.run();

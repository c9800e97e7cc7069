import { execFile } from 'node:child_process';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import pLimit from 'p-limit';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { aRecord } from '../helpers/records.ts';

/** The package folder: the CLI runs from here, as a user runs `npx trail-auditor` in a clone. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Snapshot now, without endpoint overrides another test file may set while these runs start.
const ENV: NodeJS.ProcessEnv = { ...process.env };
for (const name of [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_CLOUDWATCH',
  'COLUMNS',
])
  delete ENV[name];

// Two at a time: the machines have two cores, and each run costs a second or two of start-up.
const limit = pLimit(2);

/** Runs `node cli/bin.js ...args` in `cwd` (stdout and stderr are pipes, not a terminal). */
export function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliRun> {
  return limit(
    () =>
      new Promise<CliRun>((done) => {
        execFile(
          process.execPath,
          [join(ROOT, 'cli', 'bin.js'), ...args],
          { cwd, env: { ...ENV, ...env }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
            done({ code, stdout, stderr });
          },
        );
      }),
  );
}

/** Lines of a text, and the widest one in characters (an ellipsis is one). */
export function widest(text: string): number {
  return Math.max(...text.split('\n').map((line) => [...line].length));
}

/**
 * Writes `count` small log objects (one record each) for 2017-11-28 under `dir`, enough for a
 * local run of several work items (200 objects a work item locally), so that Analyze's threads start.
 */
export async function writeManyObjects(dir: string, count: number): Promise<void> {
  const stamp = new Date('2017-11-28T19:05:00Z');
  for (let i = 0; i < count; i++) {
    const key = buildLogKey(
      { trailPrefix: '', account: '123456789012' },
      'us-east-1',
      stamp,
      `obj${String(i).padStart(5, '0')}`,
    );
    const path = join(dir, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, gzipSync(JSON.stringify({ Records: [aRecord()] })));
    await utimes(path, stamp, stamp);
  }
}

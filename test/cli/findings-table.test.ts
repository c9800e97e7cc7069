import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES, openLocalStore, type LocalStore } from '../../cli/local/store.ts';
import { DynamoFindingsStore } from '../../functions/adapters/dynamodb.ts';
import { aFinding } from '../helpers/findings.ts';
import { tempDir } from '../helpers/local.ts';

// `--table` is the deployed table through the standard SDK chain: here a dynalite server reached
// through AWS_ENDPOINT_URL_DYNAMODB, as a user's shell would point the CLI at any endpoint.

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Context {
  store: LocalStore;
  cleanup: () => Promise<void>;
}

function cli(store: LocalStore, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: store.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  delete env.AWS_ENDPOINT_URL;
  delete env.AWS_PROFILE;
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['cli/bin.js', ...args],
      { cwd: ROOT, env, timeout: 90_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const table = suite<Context>('trail-auditor findings --table', {
  store: undefined as unknown as LocalStore,
  cleanup: async () => {},
});

const BUILT_IN = aFinding({ detector: 'deleting-logs', eventTime: '2017-11-28T19:05:10Z' });
const SIGMA = aFinding({
  detector: 'sigma-aws-guardduty-detector-deleted',
  eventTime: '2017-11-28T19:06:10Z',
  severity: 'medium',
});

table.before(async (ctx) => {
  const dir = await tempDir();
  ctx.cleanup = dir.cleanup;
  ctx.store = await openLocalStore(dir.dir);
  const findings = new DynamoFindingsStore(ctx.store.client, LOCAL_TABLES.findings);
  for (const finding of [BUILT_IN, SIGMA]) await findings.putIfNew(finding);
});

table.after(async (ctx) => {
  await ctx.store?.close();
  await ctx.cleanup();
});

table(
  'lists every finding of the table, the Sigma one included, and resolves one --by a named reviewer',
  async ({ store }) => {
    const listed = await cli(store, ['findings', '--table', LOCAL_TABLES.findings, '--json']);
    assert.is(listed.code, 0, listed.stderr);
    const found = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    assert.equal(
      found.map((f) => f.id),
      [SIGMA.id, BUILT_IN.id],
    );
    const resolved = await cli(store, [
      'findings',
      'resolve',
      found[0]!.shortId!,
      '--table',
      LOCAL_TABLES.findings,
      '--by',
      'secops-oncall',
      '--note',
      'test detector',
    ]);
    assert.is(resolved.code, 0, resolved.stderr);
    assert.match(resolved.stdout, `resolved ${found[0]!.shortId} (${SIGMA.id}) by secops-oncall`);
    const open = await cli(store, ['findings', '--table', LOCAL_TABLES.findings, '--status', 'open', '--json']);
    assert.equal(
      open.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: string }).id),
      [BUILT_IN.id],
    );
  },
);

table.run();

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/adapters/clients.ts';
import type { FindingsQuery } from '../../functions/adapters/findings-query.ts';
import { SEVERITIES } from '../../functions/core/detector.ts';
import { REVIEW_STATUSES } from '../../functions/core/review.ts';
import { parseInstant } from '../../functions/core/run-input.ts';
import { escapeControl } from '../format.ts';
import { LOCAL_TABLES, openLocalStore } from '../local/store.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { UsageError, checkIds } from '../options.ts';

/** A usage error of the findings commands: one line, exit 2 (the message is already escaped). */
export class FindingsUsageError extends UsageError {
  // A UsageError, so the CLI exits 2 with one line, like every other usage error.
  constructor(message: string, options?: { cause?: unknown }) {
    super(escapeControl(message), options);
  }
}

/** Where findings are read and reviewed: a local store folder or the deployed table. */
export interface TableOptions {
  store: string;
  table?: string;
}

/** `--store` and `--table`, the same on every findings command and on `report`. */
export function tableOptions(command: Command, defaultStore: string): Command {
  return command
    .option('--store <dir>', 'local store folder', defaultStore)
    .option(
      '--table <name>',
      'the deployed findings table instead of a local store (standard AWS credentials and region)',
    );
}

/**
 * Runs `work` against the findings table the options name. A local store folder that does not
 * exist is refused (opening it would create an empty store and answer "No findings.").
 */
export async function withFindingsTable<T>(
  options: TableOptions,
  work: (client: DynamoDBDocumentClient, table: string) => Promise<T>,
): Promise<T> {
  if (options.table) return work(documentClient(), options.table);
  const dir = resolve(options.store);
  if (!existsSync(join(dir, 'dynamodb'))) {
    throw new FindingsUsageError(
      `no local store at ${dir}: audit into it first (trail-auditor audit --trail <dir> --store ${options.store}), or pass --table`,
    );
  }
  const store = await openLocalStore(dir);
  try {
    return await work(store.client, LOCAL_TABLES.findings);
  } finally {
    await store.close();
  }
}

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/** A whole positive number (for --limit). */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a whole number above 0');
  return n;
}

/** The filters `findings` and `report` share. */
export function filterOptions(command: Command): Command {
  return (
    command
      .option('--detector <id>', 'only this detector')
      .option('--accounts <ids>', 'only these 12-digit account ids (comma-separated; repeatable)', list)
      .addOption(new Option('--account <ids>', 'same as --accounts').argParser(list))
      .option(
        '--principal <who>',
        'only this principal: full ARN, or as the table shows it (user/alice, root, assumed-role/Role/session)',
      )
      .option('--run <id>', 'only findings first stored by this run')
      .addOption(new Option('--status <state>', 'only findings in this review state').choices(REVIEW_STATUSES))
      .addOption(new Option('--severity <level>', 'only this severity and above').choices(SEVERITIES))
      // --from/--to, as in audit and backfill; --since/--until stay as hidden aliases.
      .option('--from <iso>', 'events at or after this time')
      .option('--to <iso>', 'events at or before this time (a date: through the end of that day)')
      .addOption(new Option('--since <iso>').hideHelp())
      .addOption(new Option('--until <iso>').hideHelp())
  );
}

/** The query the filter options describe; a reversed time range is a usage error. */
export function queryOf(options: Record<string, unknown>): FindingsQuery {
  const query: FindingsQuery = {};
  if (typeof options.detector === 'string') {
    // A misspelt id would list nothing and look like good news: refuse it, with the nearest id.
    // Sigma rules' ids (`sigma-...`) depend on the rule folder, so they are taken as given.
    if (!options.detector.startsWith('sigma-')) {
      checkIds(
        [options.detector],
        BUILT_IN_DETECTORS.map((d) => d.meta.id),
        '--detector',
      );
    }
    query.detector = options.detector;
  }
  const accounts = [
    ...((options.accounts as string[] | undefined) ?? []),
    ...((options.account as string[] | undefined) ?? []),
  ];
  if (accounts.length > 0) query.accounts = [...new Set(accounts)];
  if (typeof options.principal === 'string') query.principal = options.principal;
  if (typeof options.run === 'string') query.runId = options.run;
  if (typeof options.status === 'string') query.status = options.status as FindingsQuery['status'] & string;
  if (typeof options.severity === 'string') query.severity = options.severity as FindingsQuery['severity'] & string;
  // Event times are whole seconds (`2017-11-28T19:05:00Z`) and compare as strings: bounds take
  // the same form, `--until` inclusive (a date means through the end of that day).
  const from = options.from ?? options.since;
  const to = options.to ?? options.until;
  try {
    if (typeof from === 'string')
      query.since = wholeSeconds(Math.ceil(parseInstant(from, 'from', false).getTime() / 1000) * 1000);
    if (typeof to === 'string') {
      query.until = wholeSeconds(parseInstant(to, 'to', true).getTime() - (/T/.test(to) ? 0 : 1000));
    }
  } catch (error) {
    throw new FindingsUsageError((error as Error).message, { cause: error });
  }
  if (query.since && query.until && query.since > query.until) {
    throw new FindingsUsageError(`--from ${query.since} is after --to ${query.until}: give the earlier time first`);
  }
  return query;
}

function wholeSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

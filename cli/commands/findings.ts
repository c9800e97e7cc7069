import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { findFindings, findingsAt, getFinding, type FindingsPage } from '../../functions/adapters/findings-query.ts';
import { reviewFindings } from '../../functions/adapters/findings-review.ts';
import { REVIEW_ACTIONS, type ReviewAction } from '../../functions/core/review.ts';
import { loadDetectors } from '../../functions/detectors/load.ts';
import { escapeControl } from '../format.ts';
import {
  filterOptions,
  FindingsUsageError,
  positiveInteger,
  queryOf,
  tableOptions,
  withFindingsTable,
  type TableOptions,
} from './findings-source.ts';
import {
  CSV_COLUMNS,
  findingJson,
  findingsTable,
  groupFindings,
  groupsTable,
  idHash,
  shortId,
  shortIdTime,
  showFinding,
  toCsv,
  type FindingGroup,
} from './findings-view.ts';

const FORMATS = ['table', 'json', 'csv'] as const;

/**
 * Registers `findings` (list, with filters, grouping and export) and its subcommands `show`,
 * `ack`, `resolve` and `reopen` on the program.
 */
export function registerFindingsCommand(program: Command, defaultStore: string): void {
  const findings = filterOptions(tableOptions(program.command('findings'), defaultStore))
    .description(
      "Lists stored findings, newest first, through the table's indexes (never a scan). Subcommands show one finding and record reviews.",
    )
    .addOption(new Option('--limit <n>', 'at most this many rows').default(100).argParser(positiveInteger))
    .option(
      '--group [window]',
      'fold repeats (same detector, principal and account, each within the window of the last: 30m, 1h, 1d) into one row',
    )
    .addOption(
      new Option(
        '--format <format>',
        'table for people; json: one object a line (record as an object); csv: spreadsheet-safe',
      ).choices(FORMATS),
    )
    .option('--json', 'same as --format json')
    .addHelpText(
      'after',
      `
Examples:
  $ trail-auditor findings --status open --severity high
  $ trail-auditor findings --group 1h --principal user/alice --accounts 123456789012,210987654321
  $ trail-auditor findings --format csv --limit 10000 > findings.csv`,
    )
    .action(async (options) => {
      const format = options.format ?? (options.json ? 'json' : 'table');
      const windowMs =
        options.group === undefined ? undefined : parseWindow(options.group === true ? '1h' : String(options.group));
      const query = queryOf(options);
      const limit = options.limit as number;
      // Grouping needs every match (light fields), so the whole items fetched are only the shown ones.
      const page = await withFindingsTable(options, (client, table) =>
        findFindings(client, table, { ...query, limit: windowMs === undefined ? limit : 0 }),
      );
      if (windowMs !== undefined) printGroups(groupFindings(page.matches, windowMs), limit, format);
      else printFindings(page, format);
    });

  // Subcommands take --store and --table from `findings` (commander reads them before or after
  // the subcommand name; see optsWithGlobals), so they are declared once.
  findings
    .command('show')
    .description(
      "Prints one finding: what it is, its reason, the detector's runbook and the whole record. Takes --store/--table.",
    )
    .argument('<id>', 'a short id from the table (p0xe6o-3f2a) or a full id (detector#eventID)')
    .option('--sigma <dir>', "the Sigma rules folder, for a Sigma finding's runbook")
    .option('--json', 'the finding as one JSON object (record as an object)')
    .action(async (id: string, _options, command: Command) => {
      const options = command.optsWithGlobals<TableOptions & { sigma?: string; json?: boolean }>();
      const finding = await withFindingsTable(options, async (client, table) =>
        getFinding(client, table, await resolveId(client, table, id)),
      );
      if (!finding) throw new FindingsUsageError(`no finding with id ${id}`);
      if (options.json) {
        console.log(JSON.stringify(findingJson(finding)));
        return;
      }
      const detectors = await loadDetectors(options.sigma ? { sigmaDir: options.sigma } : {});
      console.log(
        showFinding(
          finding,
          detectors.find((d) => d.meta.id === finding.detector),
        ),
      );
    });

  for (const [action, status] of Object.entries(REVIEW_ACTIONS) as [ReviewAction, string][]) {
    findings
      .command(action)
      .description(
        `Marks findings ${status}, recording who, when and the note on each (a conditional update: unknown ids are refused). Takes --store/--table.`,
      )
      .argument('<ids...>', 'short ids from the table, or full ids')
      .option('--note <text>', 'why (kept on the finding)')
      .option('--by <who>', 'who reviews (default: the OS user locally; the AWS caller identity with --table)')
      .action(async (ids: string[], _options, command: Command) => {
        process.exitCode = await review(
          action,
          ids,
          command.optsWithGlobals<TableOptions & { note?: string; by?: string }>(),
        );
      });
  }
}

async function review(
  action: ReviewAction,
  ids: string[],
  options: TableOptions & { note?: string; by?: string },
): Promise<number> {
  const reviewedBy = options.by ?? (options.table ? await callerIdentity() : localUser());
  const reviewedAt = new Date().toISOString();
  const status = REVIEW_ACTIONS[action];
  let code = 0;
  await withFindingsTable(options, async (client, table) => {
    const resolved: { given: string; id: string }[] = [];
    for (const given of ids) {
      try {
        resolved.push({ given, id: await resolveId(client, table, given) });
      } catch (error) {
        if (!(error instanceof FindingsUsageError)) throw error;
        console.error(`trail-auditor: ${error.message}`);
        code = 1;
      }
    }
    const outcomes = await reviewFindings(
      client,
      table,
      resolved.map((r) => r.id),
      {
        status,
        reviewedBy,
        reviewedAt,
        ...(options.note ? { reviewNote: options.note } : {}),
      },
    );
    for (const outcome of outcomes) {
      if ('missing' in outcome) {
        console.error(escapeControl(`trail-auditor: no finding with id ${outcome.id}`));
        code = 1;
      } else
        console.log(
          escapeControl(`${status} ${shortId(outcome.updated)} (${outcome.id}) by ${reviewedBy} at ${reviewedAt}`),
        );
    }
  });
  return code;
}

/**
 * The full id a user's id names: a full id as given; a short id through the by-status index at
 * its event time (an exact key), refused when no or several findings have that hash.
 */
async function resolveId(client: DynamoDBDocumentClient, table: string, given: string): Promise<string> {
  if (given.includes('#')) return given;
  const short = shortIdTime(given);
  if (!short)
    throw new FindingsUsageError(
      `${given} is not a finding id: use the ID column of trail-auditor findings, or a full id (detector#eventID)`,
    );
  const candidates = (await findingsAt(client, table, short.eventTime)).filter((f) => idHash(f.id) === short.hash);
  if (candidates.length === 0) throw new FindingsUsageError(`no finding with id ${given}`);
  if (candidates.length > 1)
    throw new FindingsUsageError(
      `${given} names ${candidates.length} findings; use a full id: ${candidates.map((f) => f.id).join(', ')}`,
    );
  return candidates[0]!.id;
}

function printFindings(page: FindingsPage, format: string): void {
  if (format === 'json') for (const finding of page.findings) console.log(JSON.stringify(findingJson(finding)));
  else if (format === 'csv')
    process.stdout.write(
      toCsv(
        CSV_COLUMNS,
        page.findings.map((f) => ({ ...f, shortId: shortId(f), status: f.status ?? 'open' })),
      ),
    );
  else console.log(page.total === 0 ? 'No findings.' : findingsTable(page.findings));
  cutNotice(page.findings.length, page.total, format, 'findings');
}

function printGroups(groups: FindingGroup[], limit: number, format: string): void {
  const shown = groups.slice(0, limit);
  const rows = shown.map((g) => ({ ...g, sourceIPs: g.sourceIPs.join(' '), statuses: JSON.stringify(g.statuses) }));
  if (format === 'json') for (const group of shown) console.log(JSON.stringify(group));
  else if (format === 'csv')
    process.stdout.write(
      toCsv(
        [
          'latest',
          'count',
          'firstTime',
          'lastTime',
          'severity',
          'statuses',
          'detector',
          'title',
          'account',
          'principal',
          'sourceIPs',
        ],
        rows,
      ),
    );
  else console.log(groups.length === 0 ? 'No findings.' : groupsTable(shown));
  cutNotice(shown.length, groups.length, format, 'groups');
}

/** Says when --limit cut the list: under the table, or on stderr when stdout is data. */
function cutNotice(shown: number, total: number, format: string, what: string): void {
  if (shown >= total) return;
  const notice = `showing ${shown} of ${total} ${what}; --limit N for more`;
  if (format === 'table') console.log(`\n${notice}`);
  else console.error(notice);
}

/** A grouping window: `90s`, `30m`, `1h`, `2d`, or seconds. */
export function parseWindow(text: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  const n = match ? Number(match[1]) : NaN;
  if (!match || !(n > 0)) throw new FindingsUsageError(`--group ${text}: expected a window such as 30m, 1h or 1d`);
  return n * { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'] * 1000;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

async function callerIdentity(): Promise<string> {
  const sts = new STSClient({});
  try {
    const answer = await sts.send(new GetCallerIdentityCommand({}));
    return answer.Arn ?? 'unknown';
  } catch (error) {
    throw new FindingsUsageError(`cannot tell who you are (${(error as Error).message}): pass --by <name>`, {
      cause: error,
    });
  } finally {
    sts.destroy();
  }
}

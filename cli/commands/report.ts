import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { findFindings } from '../../functions/adapters/findings-query.ts';
import { escapeControl } from '../format.ts';
import { filterOptions, positiveInteger, queryOf, tableOptions, withFindingsTable } from './findings-source.ts';
import { renderReport } from './report-html.ts';

/** Registers `report`: one self-contained HTML page of the findings the filters select. */
export function registerReportCommand(program: Command, defaultStore: string): void {
  filterOptions(tableOptions(program.command('report'), defaultStore))
    .description(
      'Writes one self-contained HTML page (no network fetches) of the findings: over time by severity and detector, top principals, addresses and accounts, and a sortable, filterable table.',
    )
    .requiredOption('--html <file>', 'the page to write')
    .addOption(
      new Option('--limit <n>', "rows in the page's table (the counts and charts always cover every match)")
        .default(5000)
        .argParser(positiveInteger),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ trail-auditor report --html report.html
  $ trail-auditor report --html week.html --from 2017-11-21 --to 2017-11-28 --severity medium
  $ trail-auditor report --html open.html --status open --table TrailAuditor-Findings`,
    )
    .action(async (options) => {
      const query = queryOf(options);
      const page = await withFindingsTable(options, (client, table) =>
        findFindings(client, table, { ...query, limit: options.limit as number }),
      );
      const scope = Object.entries(query)
        .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(',') : String(value)}`)
        .join(', ');
      const html = renderReport({
        generatedAt: new Date().toISOString(),
        scope: scope || 'every stored finding',
        matches: page.matches,
        rows: page.findings,
      });
      const file = resolve(options.html);
      await writeFile(file, html);
      console.log(
        escapeControl(
          `Wrote ${file}: ${page.total} findings${page.findings.length < page.total ? `, the newest ${page.findings.length} in its table` : ''}.`,
        ),
      );
    });
}

import { resolve } from 'node:path';
import { queryFindings } from '../../functions/adapters/findings-query.ts';
import { SAMPLE } from '../demo/sample-trail.ts';
import { escapeControl, formatFindings, formatSummary, summaryJson } from '../format.ts';
import type { LocalAuditRequest } from '../local/audit.ts';
import { LOCAL_TABLES, openLocalStore } from '../local/store.ts';
import { progressReporter } from '../progress.ts';

/** The request fields `demo` and `audit` share, from their rule options. */
export function commonRequest(
  options: Record<string, unknown>,
  store: string,
): Omit<LocalAuditRequest, 'trail' | 'input'> {
  const request: Omit<LocalAuditRequest, 'trail' | 'input'> = { store };
  if (typeof options.sigma === 'string') request.sigmaDir = options.sigma;
  if (options.strictSigma === true) request.strictSigma = true;
  if (typeof options.suppressions === 'string') request.suppressionsFile = options.suppressions;
  if (typeof options.awsIpRanges === 'string') request.awsIpRangesFile = options.awsIpRanges;
  if (Array.isArray(options.detectorAlarm)) request.detectorAlarms = options.detectorAlarm as string[];
  return request;
}

/**
 * Runs a local audit and prints its outcome: the summary (or one JSON line), the Sigma load report
 * on stderr, and, for the demo, the findings stored for the sample trail. Returns the exit code.
 */
export async function runAudit(
  request: LocalAuditRequest,
  options: { json?: boolean },
  show: { showFindings: boolean },
): Promise<number> {
  // Progress goes to stderr, on a terminal only, so stdout stays a clean report.
  const progress = progressReporter(process.stderr);
  request.onProgress = (p) => progress.update(p);
  // Loaded here, not at start-up: the interpreter and the thread pool cost seconds that --help,
  // --version and usage errors should not pay.
  const { localAudit, sigmaReportLines } = await import('../local/audit.ts');
  const { result, detectors, sigma } = await localAudit(request);
  const took = progress.finish();
  for (const line of sigmaReportLines(sigma)) process.stderr.write(`${line}\n`);
  if (result.unreadableMetricLines) {
    console.error(
      `trail-auditor: skipped ${result.unreadableMetricLines} unreadable line(s) of ${escapeControl(resolve(request.store, 'metrics.jsonl'))} (a write cut short); alarms use the rest`,
    );
  }
  const sigmaSummary = {
    loaded: sigma.loaded,
    refused: sigma.refused,
    warnings: sigma.warnings,
    notes: sigma.notes ?? [],
  };
  if (options.json) {
    const summary = summaryJson(
      result.summary,
      result.runId,
      String(request.input.mode),
      result.status,
      result.alarms,
      result.error,
    );
    console.log(JSON.stringify(request.sigmaDir ? { ...summary, sigma: sigmaSummary } : summary));
  } else {
    console.log(formatSummary(result.summary, result.status, result.alarms, result.error));
    if (request.sigmaDir)
      console.log(
        `Sigma rules: ${sigma.loaded} loaded, ${sigma.refused.length} refused, ${sigma.warnings.length} can never match (listed on stderr)`,
      );
    console.log(took);
    if (show.showFindings && result.summary) {
      const store = await openLocalStore(request.store);
      try {
        const found = await queryFindings(
          store.client,
          LOCAL_TABLES.findings,
          { since: SAMPLE.from, until: SAMPLE.to, limit: 1000 },
          detectors.map((d) => d.meta.id),
        );
        console.log(`\nFindings stored for the sample trail (${found.length}):\n${formatFindings(found)}`);
      } finally {
        await store.close();
      }
    }
  }
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

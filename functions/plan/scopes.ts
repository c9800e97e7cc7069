import pLimit from 'p-limit';
import type { RunInput } from '../core/run-input.ts';
import type { RunPlan, TrailLister } from '../core/ports.ts';
import {
  ACCOUNT_PATTERN,
  ORG_PATTERN,
  accountPrefix,
  awsLogsPrefix,
  dayPrefix,
  daysBetween,
  regionPrefix,
  type TrailScope,
} from '../core/trail-keys.ts';
import type { AuditConfig } from '../core/config.ts';

// Where Plan lists: the trail's accounts and regions under both key layouts, and the prefixes
// (day folders, or whole regions) a run's window covers.

/** One account and region of the trail. */
export interface RegionScope {
  scope: TrailScope;
  region: string;
}

/**
 * Finds the accounts and regions under both key layouts (a Delimiter listing per level), keeping
 * only those the input's filters name.
 */
export async function discoverScopes(
  lister: TrailLister,
  config: Pick<AuditConfig, 'trailPrefix' | 'listConcurrency'>,
  filter: { accounts?: string[]; regions?: string[] },
): Promise<RegionScope[]> {
  const root = awsLogsPrefix(config.trailPrefix);
  const limit = pLimit(config.listConcurrency);
  const accounts: TrailScope[] = [];
  const top = await lister.listFolders(root);
  await Promise.all(
    top.map((folder) =>
      limit(async () => {
        const name = folder.slice(root.length, -1);
        if (ACCOUNT_PATTERN.test(name)) accounts.push({ trailPrefix: config.trailPrefix, account: name });
        else if (ORG_PATTERN.test(name)) {
          for (const sub of await lister.listFolders(folder)) {
            const account = sub.slice(folder.length, -1);
            if (ACCOUNT_PATTERN.test(account)) accounts.push({ trailPrefix: config.trailPrefix, orgId: name, account });
          }
        }
      }),
    ),
  );
  const wanted = accounts.filter((scope) => !filter.accounts || filter.accounts.includes(scope.account));
  const scopes: RegionScope[] = [];
  await Promise.all(
    wanted.map((scope) =>
      limit(async () => {
        const base = accountPrefix(scope);
        for (const folder of await lister.listFolders(base)) {
          const region = folder.slice(base.length, -1);
          if (!filter.regions || filter.regions.includes(region)) scopes.push({ scope, region });
        }
      }),
    ),
  );
  // Deterministic order: listings may answer in any order.
  return scopes.sort((a, b) => regionPrefix(a.scope, a.region).localeCompare(regionPrefix(b.scope, b.region)));
}

/** The prefixes to list: the day folders from the window's start to its end, or whole regions with no start. */
export function listingPrefixes(scopes: RegionScope[], input: RunInput, window: RunPlan['window']): string[] {
  if (window.start === null) return scopes.map((s) => regionPrefix(s.scope, s.region));
  const end = new Date(window.end);
  const lastDay = input.mode === 'backfill' ? new Date(end.getTime() - 1) : end;
  const days = daysBetween(new Date(window.start), lastDay);
  return scopes.flatMap((s) => days.map((day) => dayPrefix(s.scope, s.region, day)));
}

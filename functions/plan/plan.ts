import pLimit from 'p-limit';
import type { AuditConfig } from '../core/config.ts';
import { parseRunInput, type RunInput } from '../core/run-input.ts';
import { checkpointScope, type RunPlan, type RunStore, type TrailLister } from '../core/ports.ts';
import { ACCOUNT_PATTERN, ORG_PATTERN, accountPrefix, awsLogsPrefix, dayPrefix, daysBetween, parseTrailKey, regionPrefix, type TrailScope } from '../core/trail-keys.ts';

/** The event the state machine's Plan task sends. */
export interface PlanEvent {
  input: unknown;
  runId: string;
}

/** The Plan step as the state machine calls it: validates the input, then plans. */
export function planStep(ports: PlanPorts, config: PlanConfig): (event: PlanEvent) => Promise<PlanOutput> {
  return (event) => planRun(ports, config, parseRunInput(event.input), event.runId);
}

/** What Plan needs from the outside world. */
export interface PlanPorts {
  lister: TrailLister;
  runs: RunStore;
  now: () => Date;
}

/** Plan's output: small whatever the run's size (a list of batch numbers, not of keys). */
export interface PlanOutput {
  runId: string;
  mode: RunInput['mode'];
  /** Work items for the Map: the batch numbers 0..n-1; the keys stay in the run's manifest. */
  batches: number[];
  /** The Map's concurrency and failure tolerance, from config (read by the Map's *Path fields). */
  mapConcurrency: number;
  toleratedFailurePercentage: number;
  objects: RunPlan['objects'];
  window: RunPlan['window'];
}

/** The configuration Plan reads. */
export type PlanConfig = Pick<
  AuditConfig,
  | 'trailPrefix'
  | 'listConcurrency'
  | 'batchMaxObjects'
  | 'batchMaxBytes'
  | 'settleSeconds'
  | 'deliverySlackHours'
  | 'initialLookbackHours'
  | 'mapConcurrency'
  | 'toleratedFailurePercentage'
>;

const HOUR = 3_600_000;

/**
 * Lists the objects of one run and writes them, in batches, to the run's manifest.
 *
 * Scheduled runs select objects by S3 LastModified in (checkpoint, now - settle]: listing is
 * strongly consistent, so every object delivered before the window's end is seen by this run or,
 * if this run fails, by the next one (the checkpoint moves only on success). Backfills select
 * by the stamp in the key's file name, in [from, to).
 */
export async function planRun(ports: PlanPorts, config: PlanConfig, input: RunInput, runId: string): Promise<PlanOutput> {
  const startedAt = ports.now();
  const window = await selectWindow(ports, config, input, startedAt);
  const scopes = await discoverScopes(ports.lister, config, input);
  const writer = new ManifestWriter(ports.runs, runId, config);
  const skippedByReason: Record<string, number> = {};

  const prefixes = listingPrefixes(scopes, input, window, config);
  const start = window.start ? Date.parse(window.start) : Number.NEGATIVE_INFINITY;
  const end = Date.parse(window.end);
  // A fixed set of listers pulling the next prefix, rather than one queued task per prefix: a
  // 30-day backfill of a large organisation has hundreds of thousands of day folders.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(config.listConcurrency, prefixes.length) }, async () => {
      while (next < prefixes.length) {
        const prefix = prefixes[next++]!;
        for await (const page of ports.lister.listObjects(prefix)) {
          for (const object of page) {
            // An entry the lister will not offer (a symlink in a trail folder) is counted, not read.
            if (object.skip) {
              skippedByReason[object.skip] = (skippedByReason[object.skip] ?? 0) + 1;
              continue;
            }
            const parsed = parseTrailKey(object.key);
            if (parsed.kind !== 'log') {
              skippedByReason[parsed.reason] = (skippedByReason[parsed.reason] ?? 0) + 1;
              continue;
            }
            if (input.mode === 'backfill') {
              const at = Date.parse(parsed.stamp ?? `${parsed.date}T00:00:00Z`);
              if (at < start || at >= end) continue;
            } else {
              const modified = object.lastModified.getTime();
              if (modified <= start || modified > end) continue;
            }
            await writer.add(object.key, object.size);
          }
        }
      }
    }),
  );
  await writer.close();

  const skipped = Object.values(skippedByReason).reduce((sum, n) => sum + n, 0);
  const plan: RunPlan = {
    runId,
    mode: input.mode,
    startedAt: startedAt.toISOString(),
    window,
    batches: writer.batches,
    objects: { listed: writer.objects + skipped, queued: writer.objects, skipped },
    skippedByReason,
    accounts: [...new Set(scopes.map((s) => s.scope.account))].sort(),
    regions: [...new Set(scopes.map((s) => s.region))].sort(),
    checkpointScope: checkpointScope(input),
  };
  await ports.runs.putPlan(plan);
  return {
    runId,
    mode: input.mode,
    batches: Array.from({ length: writer.batches }, (_, i) => i),
    mapConcurrency: config.mapConcurrency,
    toleratedFailurePercentage: config.toleratedFailurePercentage,
    objects: plan.objects,
    window,
  };
}

async function selectWindow(ports: PlanPorts, config: PlanConfig, input: RunInput, now: Date): Promise<RunPlan['window']> {
  if (input.mode === 'backfill') return { start: input.from, end: input.to };
  const checkpoint = await ports.runs.getCheckpoint(checkpointScope(input));
  const end = new Date(now.getTime() - config.settleSeconds * 1000).toISOString();
  if (checkpoint) return { start: checkpoint, end };
  if (config.initialLookbackHours === null) return { start: null, end };
  return { start: new Date(now.getTime() - config.initialLookbackHours * HOUR).toISOString(), end };
}

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
  config: Pick<PlanConfig, 'trailPrefix' | 'listConcurrency'>,
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

/** The prefixes to list: day folders covering the window, or whole regions on a first full run. */
export function listingPrefixes(scopes: RegionScope[], input: RunInput, window: RunPlan['window'], config: Pick<PlanConfig, 'deliverySlackHours'>): string[] {
  const end = new Date(window.end);
  if (window.start === null) return scopes.map((s) => regionPrefix(s.scope, s.region));
  const start = new Date(window.start);
  // A file's date folder comes from its stamp, which precedes its delivery: list the folders of
  // the slack before the window too, so late deliveries across midnight are seen.
  const first = input.mode === 'scheduled' ? new Date(start.getTime() - config.deliverySlackHours * HOUR) : start;
  const lastDay = input.mode === 'backfill' ? new Date(end.getTime() - 1) : end;
  const days = daysBetween(first, lastDay);
  return scopes.flatMap((s) => days.map((day) => dayPrefix(s.scope, s.region, day)));
}

/** Collects keys into batches by count and bytes and writes each full batch to the manifest. */
class ManifestWriter {
  batches = 0;
  objects = 0;
  private keys: string[] = [];
  private bytes = 0;
  private readonly writes: Promise<void>[] = [];

  constructor(
    private readonly runs: RunStore,
    private readonly runId: string,
    private readonly config: Pick<PlanConfig, 'batchMaxObjects' | 'batchMaxBytes'>,
  ) {}

  async add(key: string, size: number): Promise<void> {
    this.keys.push(key);
    this.bytes += size;
    this.objects++;
    if (this.keys.length >= this.config.batchMaxObjects || this.bytes >= this.config.batchMaxBytes) await this.flush();
  }

  async close(): Promise<void> {
    if (this.keys.length > 0) await this.flush();
    await Promise.all(this.writes);
  }

  private async flush(): Promise<void> {
    const keys = this.keys.sort();
    const batch = this.batches++;
    this.keys = [];
    this.bytes = 0;
    const write = this.runs.putManifestBatch(this.runId, batch, keys);
    write.catch(() => undefined); // observed by the Promise.all below; avoids an unhandled rejection meanwhile
    this.writes.push(write);
    // Bound memory: never hold more than a few unwritten batches.
    if (this.writes.length >= 8) await Promise.all(this.writes.splice(0));
  }
}

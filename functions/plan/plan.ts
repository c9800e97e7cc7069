import type { AuditConfig } from '../core/config.ts';
import type { PlanEvent, PlanOutput } from '../core/payloads.ts';
import { parseRunInput, type RunInput } from '../core/run-input.ts';
import { folderOf, type RunPlan, type RunStore, type TrailLister } from '../core/ports.ts';
import { parseTrailKey } from '../core/trail-keys.ts';
import { ManifestWriter } from './manifest-writer.ts';
import { discoverScopes, listingPrefixes } from './scopes.ts';

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

/** The configuration Plan reads. */
export type PlanConfig = Pick<
  AuditConfig,
  | 'trailPrefix'
  | 'listConcurrency'
  | 'batchMaxObjects'
  | 'batchMaxBytes'
  | 'deliverySlackHours'
  | 'initialLookbackHours'
  | 'scheduleLeaseMinutes'
  | 'mapConcurrency'
  | 'toleratedFailurePercentage'
>;

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * Lists the objects of one run and writes them, in batches, to the run's manifest.
 *
 * Backfills select by the stamp in the key's file name, in [from, to). Scheduled runs take every
 * object stamped from the schedule's start (the start of the last complete run less the delivery
 * slack; the first run's lookback before that) that the ledger of analysed keys does not hold:
 * no file time is trusted, so late, re-synced, back-dated or copied-in files are taken once.
 * Scheduled runs hold a lease so that two never take the same objects.
 */
export async function planRun(
  ports: PlanPorts,
  config: PlanConfig,
  input: RunInput,
  runId: string,
): Promise<PlanOutput> {
  const startedAt = ports.now();
  const scheduled = input.mode === 'scheduled';
  const leased = scheduled && config.scheduleLeaseMinutes > 0;
  if (leased) {
    const until = new Date(startedAt.getTime() + config.scheduleLeaseMinutes * MINUTE).toISOString();
    const holder = await ports.runs.acquireLease(runId, startedAt.toISOString(), until);
    if (holder !== null) return deferred(ports, config, input, runId, startedAt, holder);
  }
  try {
    return await planObjects(ports, config, input, runId, startedAt);
  } catch (error) {
    // Publish will not run: give the lease up so the next scheduled run need not wait it out.
    if (leased) await ports.runs.releaseLease(runId).catch(() => undefined);
    throw error;
  }
}

async function planObjects(
  ports: PlanPorts,
  config: PlanConfig,
  input: RunInput,
  runId: string,
  startedAt: Date,
): Promise<PlanOutput> {
  const window = await selectWindow(ports, config, input, startedAt);
  const scopes = await discoverScopes(ports.lister, config, input);
  const writer = new ManifestWriter(ports.runs, runId, config);
  const skippedByReason: Record<string, number> = {};
  let analyzedBefore = 0;

  const prefixes = listingPrefixes(scopes, input, window);
  const start = window.start ? Date.parse(window.start) : Number.NEGATIVE_INFINITY;
  const end = input.mode === 'backfill' ? Date.parse(window.end) : Number.POSITIVE_INFINITY;
  // A fixed set of listers pulling the next prefix, rather than one queued task per prefix: a
  // 30-day backfill of a large organisation has hundreds of thousands of day folders.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(config.listConcurrency, prefixes.length) }, async () => {
      while (next < prefixes.length) {
        const prefix = prefixes[next++]!;
        for await (const page of ports.lister.listObjects(prefix)) {
          const logs: { key: string; size: number }[] = [];
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
            // The stamp in the key, never the file's time: S3 LastModified is the delivery, a
            // synced or copied file's mtime is whatever the copy made it.
            const at = Date.parse(parsed.stamp ?? `${parsed.date}T00:00:00Z`);
            if (at >= start && at < end) logs.push(object);
          }
          const fresh = input.mode === 'scheduled' ? await dropAnalyzed(ports.runs, logs) : logs;
          analyzedBefore += logs.length - fresh.length;
          for (const object of fresh) await writer.add(object.key, object.size);
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
    objects: {
      listed: writer.objects + analyzedBefore + skipped,
      queued: writer.objects,
      skipped,
      ...(input.mode === 'scheduled' ? { analyzedBefore } : {}),
    },
    skippedByReason,
    accounts: [...new Set(scopes.map((s) => s.scope.account))].sort(),
    regions: [...new Set(scopes.map((s) => s.region))].sort(),
    filtered: Boolean(input.accounts?.length || input.regions?.length),
  };
  if (input.mode === 'scheduled') {
    plan.nextStart =
      config.deliverySlackHours === null
        ? null
        : new Date(startedAt.getTime() - config.deliverySlackHours * HOUR).toISOString();
  }
  await ports.runs.putPlan(plan);
  return output(plan, config);
}

/** A scheduled run that found another holding the lease: it plans nothing, and says whom it waits for. */
async function deferred(
  ports: PlanPorts,
  config: PlanConfig,
  input: RunInput,
  runId: string,
  startedAt: Date,
  holder: string,
): Promise<PlanOutput> {
  const plan: RunPlan = {
    runId,
    mode: input.mode,
    startedAt: startedAt.toISOString(),
    window: { start: startedAt.toISOString(), end: startedAt.toISOString() },
    batches: 0,
    objects: { listed: 0, queued: 0, skipped: 0, analyzedBefore: 0 },
    skippedByReason: {},
    accounts: [],
    regions: [],
    filtered: Boolean(input.accounts?.length || input.regions?.length),
    deferredTo: holder,
  };
  await ports.runs.putPlan(plan);
  return output(plan, config);
}

function output(plan: RunPlan, config: PlanConfig): PlanOutput {
  return {
    runId: plan.runId,
    mode: plan.mode,
    batches: Array.from({ length: plan.batches }, (_, i) => i),
    mapConcurrency: config.mapConcurrency,
    toleratedFailurePercentage: config.toleratedFailurePercentage,
    objects: plan.objects,
    window: plan.window,
  };
}

/**
 * The objects of one listing page that the ledger does not hold: one ranged Query per day folder
 * of the page (a page of an S3 listing is one folder, or the end of one and the start of the
 * next), so Plan holds one page and its ledger entries at a time, never a whole day.
 */
async function dropAnalyzed<T extends { key: string }>(runs: RunStore, objects: T[]): Promise<T[]> {
  if (objects.length === 0) return objects;
  const byFolder = new Map<string, string[]>();
  for (const { key } of objects) {
    const folder = folderOf(key);
    let names = byFolder.get(folder);
    if (!names) byFolder.set(folder, (names = []));
    names.push(key.slice(folder.length));
  }
  const analyzed = new Set<string>();
  for (const [folder, names] of byFolder) {
    for (const name of await runs.analyzedIn(folder, names)) analyzed.add(folder + name);
  }
  return analyzed.size === 0 ? objects : objects.filter((o) => !analyzed.has(o.key));
}

async function selectWindow(
  ports: PlanPorts,
  config: PlanConfig,
  input: RunInput,
  now: Date,
): Promise<RunPlan['window']> {
  if (input.mode === 'backfill') return { start: input.from, end: input.to };
  const end = now.toISOString();
  if (config.deliverySlackHours === null) return { start: null, end };
  // The first run's lookback is stored by the first attempt, so a first run that fails does not
  // let the next one look back from a later time and skip what lay between.
  const initial =
    config.initialLookbackHours === null
      ? undefined
      : new Date(now.getTime() - config.initialLookbackHours * HOUR).toISOString();
  return { start: await ports.runs.scheduleStart(initial), end };
}

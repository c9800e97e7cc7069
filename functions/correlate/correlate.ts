import pLimit from 'p-limit';
import { principalOf } from '../core/cloudtrail.ts';
import { messageOf } from '../core/errors.ts';
import {
  correlationFindingId,
  CORRELATION_SHARDS,
  type AggregateLookup,
  type CorrelatingDetector,
  type Verdict,
} from '../core/correlation.ts';
import type { Detector } from '../core/detector.ts';
import { buildFinding } from '../core/findings.ts';
import type { CorrelateItem, CorrelateResult } from '../core/payloads.ts';
import type { AggregateStore, FindingsStore } from '../core/ports.ts';
import type { Suppressor } from '../core/ports.ts';

/** What Correlate needs from the outside world. */
export interface CorrelatePorts {
  aggregates: Pick<AggregateStore, 'touchedKeys' | 'readAggregates' | 'putCorrelateResult'>;
  findings: FindingsStore;
  now: () => Date;
}

export interface CorrelateOptions {
  detectors: readonly Detector[];
  suppressor?: Suppressor;
  /** Keys judged at once (each is a paged Query, then the verdict's puts). */
  concurrency: number;
  /** Findings expire (DynamoDB TTL) this many days after detection; absent: never. */
  findingsTtlDays?: number;
  /** Shards of the run; the state machine's Map passes one each. Default {@link CORRELATION_SHARDS}. */
  shards?: number;
}

/** Failures kept by key in a result; the rest are counted only. */
const MAX_REPORTED_FAILURES = 100;
/** Joined aggregates a shard keeps for lookups (evidence keys read by many judged keys). */
const LOOKUP_CACHE_ENTRIES = 20_000;

/**
 * Judges one shard of the keys a run touched: for each key whose detector judges it, joins
 * every stored aggregate of the key (all runs within their retention), judges the join, and
 * stores each verdict as a finding with the same conditional put as Analyze. The finding id
 * comes from the detector, the key and the verdict's subject, so judging again (a retry, a later
 * run, a late file) stores nothing twice, and a verdict that changes is a new finding.
 * A judge that throws is a counted failure of its key; store errors fail the invocation, which
 * the state machine retries (the result item is overwritten, so counts stay right).
 */
export async function correlateShard(
  ports: CorrelatePorts,
  options: CorrelateOptions,
  item: CorrelateItem,
): Promise<CorrelateResult> {
  const shards = options.shards ?? CORRELATION_SHARDS;
  if (!Number.isInteger(item.shard) || item.shard < 0 || item.shard >= shards)
    throw new RangeError(`shard ${String(item.shard)} is not in [0, ${shards})`);
  const result: CorrelateResult = {
    shard: item.shard,
    keys: { touched: 0, judged: 0 },
    findings: { new: 0, duplicate: 0, suppressed: 0 },
    byDetector: {},
    suppressedByRule: {},
    failures: [],
  };
  const byId = new Map(
    options.detectors.filter((d): d is CorrelatingDetector => d.kind === 'correlating').map((d) => [d.meta.id, d]),
  );
  // Keys repeat across work items: each is judged once per shard invocation.
  const seen = new Set<string>();
  const keys: { detector: CorrelatingDetector; key: string }[] = [];
  for await (const page of ports.aggregates.touchedKeys(item.runId, item.shard, shards)) {
    for (const { detector: id, key } of page) {
      const detector = byId.get(id);
      const name = `${id}\u0000${key}`;
      if (!detector || seen.has(name)) continue;
      seen.add(name);
      result.keys.touched++;
      if (detector.judges && !safe(() => detector.judges!(key), false)) continue;
      keys.push({ detector, key });
    }
  }
  // A stable order makes logs and failures read the same on every run.
  keys.sort((a, b) =>
    a.detector.meta.id === b.detector.meta.id
      ? a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0
      : a.detector.meta.id < b.detector.meta.id
        ? -1
        : 1,
  );

  const joined = new Map<string, Promise<unknown>>();
  const join = (detector: CorrelatingDetector, key: string): Promise<unknown> => {
    const name = `${detector.meta.id}\u0000${key}`;
    let known = joined.get(name);
    if (!known) {
      if (joined.size >= LOOKUP_CACHE_ENTRIES) joined.clear();
      known = ports.aggregates.readAggregates(detector.meta.id, key, detector.pack?.(key)).then(
        (all) => (all.length === 0 ? undefined : all.reduce((a, b) => detector.merge(a, b))),
        (error: unknown) => {
          // Not remembered, and never taken for "no evidence": the invocation fails and is retried.
          joined.delete(name);
          throw new LookupError(name, { cause: error });
        },
      );
      joined.set(name, known);
    }
    return known;
  };

  const detectedAt = ports.now().toISOString();
  const limit = pLimit(options.concurrency);
  await Promise.all(
    keys.map(({ detector, key }) =>
      limit(async () => {
        const aggregates = await ports.aggregates.readAggregates(detector.meta.id, key, detector.pack?.(key));
        if (aggregates.length === 0) return; // expired since the run touched it
        result.keys.judged++;
        let verdicts: readonly Verdict[];
        try {
          const aggregate = aggregates.reduce((a, b) => detector.merge(a, b));
          const lookup: AggregateLookup<unknown> = (other) => join(detector, other);
          verdicts = await detector.judge(key, aggregate, lookup);
        } catch (error) {
          if (error instanceof LookupError) throw error.cause;
          if (result.failures.length < MAX_REPORTED_FAILURES)
            result.failures.push({
              key: `${detector.meta.id}: ${key.slice(0, 200)}`,
              reason: `judge failed: ${messageOf(error).slice(0, 300)}`,
            });
          return;
        }
        for (const verdict of verdicts) await store(detector, key, verdict);
      }),
    ),
  );

  async function store(detector: CorrelatingDetector, key: string, verdict: Verdict): Promise<void> {
    const { record } = verdict;
    const rule = options.suppressor?.match(
      {
        detector: detector.meta.id,
        principal: principalOf(record),
        account: String(record.recipientAccountId ?? record.userIdentity?.accountId ?? ''),
        sourceIPAddress: String(record.sourceIPAddress ?? ''),
        userAgent: String(record.userAgent ?? ''),
      },
      new Date(detectedAt),
    );
    if (rule) {
      result.findings.suppressed++;
      result.suppressedByRule[rule] = (result.suppressedByRule[rule] ?? 0) + 1;
      return;
    }
    const finding = buildFinding(detector.meta, verdict.match, record, {
      objectKey: verdict.objectKey,
      runId: item.runId,
      detectedAt,
      ...(options.findingsTtlDays ? { ttlDays: options.findingsTtlDays } : {}),
    });
    finding.id = correlationFindingId(detector.meta.id, verdict.identityKey ?? key, verdict.subject);
    if ((await ports.findings.putIfNew(finding)) === 'created') {
      result.findings.new++;
      result.byDetector[detector.meta.id] = (result.byDetector[detector.meta.id] ?? 0) + 1;
    } else result.findings.duplicate++;
  }

  result.failures.sort((a, b) => a.key.localeCompare(b.key));
  await ports.aggregates.putCorrelateResult(item.runId, result);
  return result;
}

/** A lookup's read failed: a store error, not the judge's, so it fails the invocation. */
class LookupError extends Error {
  override readonly name = 'LookupError';
}

function safe<T>(run: () => T, fallback: T): T {
  try {
    return run();
  } catch {
    return fallback;
  }
}

/** The Correlate step as the state machine calls it, with one shard. */
export function correlateStep(
  ports: CorrelatePorts,
  options: CorrelateOptions,
): (item: CorrelateItem) => Promise<CorrelateResult> {
  return (item) => correlateShard(ports, options, item);
}

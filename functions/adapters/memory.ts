/**
 * In-memory adapters of every port: a trail bucket, the findings table, run bookkeeping and a
 * metrics sink, with the same semantics as the real ones (conditional puts, ledger). Tests and the
 * benchmark share them; the correlation aggregates have theirs in memory-aggregates.ts.
 */
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import type { Finding } from '../core/findings.ts';
import type { BatchResult } from '../core/payloads.ts';
import type {
  FindingsCounter,
  FindingsStore,
  MetricDatum,
  MetricsSink,
  ObjectInfo,
  ObjectReader,
  PutOutcome,
  RunPlan,
  RunStore,
  TrailLister,
} from '../core/ports.ts';

/** A trail bucket in memory: keys with bodies and LastModified times. */
export class MemoryTrail implements TrailLister, ObjectReader {
  readonly objects = new Map<string, { body: Uint8Array; lastModified: Date }>();
  /** Keys read, in order (to prove what was analysed). */
  readonly reads: string[] = [];
  /** Listing calls made, by prefix. */
  readonly listings: string[] = [];

  put(key: string, body: Uint8Array | string, lastModified = new Date('2017-11-28T19:10:00Z')): this {
    this.objects.set(key, { body: typeof body === 'string' ? Buffer.from(body) : body, lastModified });
    return this;
  }

  putRecords(key: string, records: CloudTrailRecord[], lastModified?: Date): this {
    return this.put(key, gzipSync(JSON.stringify({ Records: records })), lastModified);
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    this.listings.push(prefix);
    const page: ObjectInfo[] = [];
    for (const [key, object] of this.objects) {
      if (key.startsWith(prefix)) page.push({ key, size: object.body.byteLength, lastModified: object.lastModified });
    }
    yield page;
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash > 0) folders.add(prefix + rest.slice(0, slash + 1));
    }
    return [...folders].sort();
  }

  async read(key: string): Promise<Uint8Array> {
    this.reads.push(key);
    const object = this.objects.get(key);
    if (!object)
      throw Object.assign(new Error(`The specified key does not exist: ${key}`), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    return object.body;
  }
}

/** The findings table in memory, with the same conditional-put semantics as DynamoDB's. */
export class MemoryFindings implements FindingsStore, FindingsCounter {
  readonly items = new Map<string, Finding>();
  async countByRun(runId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const f of this.items.values()) if (f.runId === runId) counts[f.detector] = (counts[f.detector] ?? 0) + 1;
    return counts;
  }
  async putIfNew(finding: Finding): Promise<PutOutcome> {
    const existing = this.items.get(finding.id);
    if (existing && !(existing.runId === finding.runId && existing.objectKey === finding.objectKey)) return 'duplicate';
    this.items.set(finding.id, finding);
    return 'created';
  }
}

/** Run bookkeeping in memory, with the ledger, schedule start and lease semantics of DynamoRunStore. */
export class MemoryRuns implements RunStore {
  readonly plans = new Map<string, RunPlan>();
  readonly manifests = new Map<string, string[]>();
  readonly results = new Map<string, BatchResult>();
  /** Keys analysed by scheduled runs (the ledger; it never expires here). */
  readonly ledger = new Set<string>();
  start: string | null = null;
  lease: { runId: string; until: string } | null = null;
  /** Ledger calls made: reads (one per folder asked) and writes (one per 25 keys, as BatchWriteItem). */
  readonly calls = { ledgerReads: 0, ledgerWrites: 0 };

  async putPlan(plan: RunPlan) {
    this.plans.set(plan.runId, structuredClone(plan));
  }
  async getPlan(runId: string) {
    return this.plans.get(runId);
  }
  async putManifestBatch(runId: string, batch: number, keys: string[]) {
    this.manifests.set(`${runId}/${batch}`, [...keys]);
  }
  async getManifestBatch(runId: string, batch: number) {
    const keys = this.manifests.get(`${runId}/${batch}`);
    if (!keys) throw new Error(`no manifest batch ${batch}`);
    return keys;
  }
  async putBatchResult(runId: string, result: BatchResult) {
    this.results.set(`${runId}/${result.batch}`, structuredClone(result));
  }
  async listBatchResults(runId: string) {
    return [...this.results.entries()].filter(([k]) => k.startsWith(`${runId}/`)).map(([, v]) => v);
  }
  async analyzedIn(folder: string, names: readonly string[]) {
    this.calls.ledgerReads++;
    return new Set(names.filter((name) => this.ledger.has(folder + name)));
  }
  async markAnalyzed(keys: readonly string[]) {
    this.calls.ledgerWrites += Math.ceil(new Set(keys).size / 25);
    for (const key of keys) this.ledger.add(key);
  }
  async scheduleStart(initial?: string) {
    if (this.start === null && initial !== undefined) this.start = initial;
    return this.start;
  }
  async advanceScheduleStart(to: string) {
    if (this.start === null || this.start < to) this.start = to;
  }
  async acquireLease(runId: string, now: string, until: string) {
    if (this.lease && this.lease.until >= now && this.lease.runId !== runId) return this.lease.runId;
    this.lease = { runId, until };
    return null;
  }
  async releaseLease(runId: string) {
    if (this.lease?.runId === runId) this.lease = { runId, until: '' };
  }
  /** Every key of a run's manifest. */
  keysOf(runId: string): string[] {
    return [...this.manifests.entries()].filter(([k]) => k.startsWith(`${runId}/`)).flatMap(([, v]) => v);
  }
}

/** A metrics sink that remembers what was published. */
export class MemoryMetrics implements MetricsSink {
  readonly published: { namespace: string; data: MetricDatum[] }[] = [];
  async publish(namespace: string, data: MetricDatum[]) {
    this.published.push({ namespace, data });
  }
  /** The value of a metric in the last publish (no dimensions unless given). */
  last(name: string, dimensions?: Record<string, string>): number | undefined {
    const data = this.published.at(-1)?.data ?? [];
    return data.find((d) => d.name === name && JSON.stringify(d.dimensions ?? {}) === JSON.stringify(dimensions ?? {}))
      ?.value;
  }
}

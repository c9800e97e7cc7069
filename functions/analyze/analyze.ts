import pLimit from 'p-limit';
import { cutToBytes } from '../core/bounded.ts';
import { principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import { FindingRefusedError, LogObjectError, messageOf } from '../core/errors.ts';
import { buildFinding, type Finding } from '../core/findings.ts';
import type { BatchResult, FindingsStore, ObjectReader, RunStore, WorkItem } from '../core/ports.ts';
import type { Detector, DetectorMatch, DetectorStatePort, StatefulDetector, StatelessDetector } from '../detectors/types.ts';
import { LargeObjectGate, readBounded } from './bounded-read.ts';

/** Decides whether a match is silenced; returns the suppression rule's id if so. */
export interface Suppressor {
  match(
    candidate: { detector: string; principal: string; account: string; sourceIPAddress: string; userAgent: string },
    now: Date,
  ): string | undefined;
}

/** What Analyze needs from the outside world. */
export interface AnalyzePorts {
  runs: Pick<RunStore, 'getManifestBatch' | 'putBatchResult'>;
  reader: ObjectReader;
  findings: FindingsStore;
  /** State for stateful detectors, one namespace per detector id. */
  detectorState: (detectorId: string) => DetectorStatePort;
  now: () => Date;
}

export interface AnalyzeOptions {
  detectors: readonly Detector[];
  suppressor?: Suppressor;
  /** Objects fetched and parsed at once. */
  readConcurrency: number;
  /** Finding writes in flight. */
  writeConcurrency: number;
  /** Findings expire (DynamoDB TTL) this many days after detection; absent: never. */
  findingsTtlDays?: number;
}

/** Failures kept by key in a batch result; the count covers them all. */
export const MAX_REPORTED_FAILURES = 100;

/** Analyzes one work item: reads its manifest batch, analyzes it, stores the batch result. */
export async function analyzeWorkItem(ports: AnalyzePorts, options: AnalyzeOptions, item: WorkItem): Promise<BatchResult> {
  const keys = await ports.runs.getManifestBatch(item.runId, item.batch);
  const result = await analyzeObjects(ports, options, item.runId, item.batch, keys);
  await ports.runs.putBatchResult(item.runId, result);
  return result;
}

/**
 * Fetches, decodes and runs every detector over every record of the given objects. A bad object
 * is reported by key and reason and the rest go on; storage errors propagate (the Map retries
 * the work item, and the finding store's conditional put keeps the retry from counting twice).
 */
export async function analyzeObjects(
  ports: AnalyzePorts,
  options: AnalyzeOptions,
  runId: string,
  batch: number,
  keys: readonly string[],
): Promise<BatchResult> {
  const result = emptyResult(batch);
  const stateless = options.detectors.filter((d): d is StatelessDetector => d.kind === 'stateless');
  const stateful = options.detectors.filter((d): d is StatefulDetector => d.kind === 'stateful');
  const statePorts = new Map(stateful.map((d) => [d.meta.id, ports.detectorState(d.meta.id)]));
  const readLimit = pLimit(options.readConcurrency);
  const writeLimit = pLimit(options.writeConcurrency);
  const startedAt = ports.now();
  const detectedAt = startedAt.toISOString();
  const largeObjects = new LargeObjectGate();
  // Finding ids this work item has stored: the same eventID twice (in one object or two) is one
  // finding, counted once; a retry of the work item starts afresh and counts the same way.
  const storedIds = new Set<string>();

  const store = async (finding: Finding) => {
    let outcome;
    try {
      outcome = await writeLimit(() => ports.findings.putIfNew(finding));
    } catch (error) {
      // The store refused this item for its content: one bad record, not a failed work item.
      if (!(error instanceof FindingRefusedError)) throw error;
      failRecord(finding.objectKey, `finding ${finding.id.slice(0, 200)} refused by the findings table (${messageOf(error)})`);
      return;
    }
    if (outcome === 'created') {
      result.findings.new++;
      result.byDetector[finding.detector] = (result.byDetector[finding.detector] ?? 0) + 1;
    } else result.findings.duplicate++;
  };

  const onMatch = (detector: Detector, match: DetectorMatch, record: CloudTrailRecord, objectKey: string, writes: Promise<void>[]) => {
    if (options.suppressor) {
      const rule = options.suppressor.match(
        {
          detector: detector.meta.id,
          principal: principalOf(record),
          account: textOf(record.recipientAccountId) || textOf(record.userIdentity?.accountId),
          sourceIPAddress: textOf(record.sourceIPAddress),
          userAgent: textOf(record.userAgent),
        },
        startedAt,
      );
      if (rule) {
        result.findings.suppressed++;
        result.suppressedByRule[rule] = (result.suppressedByRule[rule] ?? 0) + 1;
        return;
      }
    }
    const finding = buildFinding(detector.meta, match, record, { objectKey, runId, detectedAt, ...(options.findingsTtlDays ? { ttlDays: options.findingsTtlDays } : {}) });
    if (storedIds.has(finding.id)) {
      result.findings.duplicate++;
      return;
    }
    storedIds.add(finding.id);
    const write = store(finding);
    write.catch(() => undefined); // observed by Promise.all(writes); avoids an unhandled rejection meanwhile
    writes.push(write);
  };

  // Stateful detectors learn from order, so they see the batch's objects one at a time in key
  // order (keys sort by file stamp); each object keeps its read slot until its turn, which bounds
  // memory to `readConcurrency` parsed objects.
  const turns = keys.map(() => deferred());
  await Promise.all(
    keys.map((key, index) =>
      readLimit(async () => {
        try {
          await analyzeOne(key, index);
        } finally {
          // An object's turn ends only after its predecessor's, even if it failed early.
          if (stateful.length > 0 && index > 0) await turns[index - 1]!.promise;
          turns[index]!.resolve();
        }
      }),
    ),
  );

  function failRecord(key: string, reason: string): void {
    result.failedRecords = (result.failedRecords ?? 0) + 1;
    if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push(failure(key, reason));
  }

  async function analyzeOne(key: string, index: number): Promise<void> {
    let records: CloudTrailRecord[];
    let release = () => {};
    try {
      // A large object waits for its predecessors' turns before its slot: see LargeObjectGate.
      const beforeLarge = async () => {
        if (stateful.length > 0 && index > 0) await turns[index - 1]!.promise;
      };
      const read = await readBounded(ports.reader, key, largeObjects, beforeLarge);
      const decoded = read.decoded;
      release = read.release;
      records = decoded.records;
      result.bytes += decoded.jsonBytes;
      result.skippedRecords += decoded.skippedRecords;
    } catch (error) {
      // A transient read error (5xx, throttling, network) must not become a lost object: it fails
      // the work item, which the state machine retries; if it never succeeds the run is incomplete
      // and the checkpoint stays. Only objects that no retry can fix are reported and skipped.
      if (!(error instanceof LogObjectError) && !isPermanentReadError(error)) throw error;
      const reason = error instanceof LogObjectError ? error.reason : `could not read the object (${messageOf(error)})`;
      result.objects.failed++;
      if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push(failure(key, reason));
      return;
    }
    try {
      await analyzeRecords(key, index, records);
    } finally {
      release();
    }
  }

  async function analyzeRecords(key: string, index: number, records: CloudTrailRecord[]): Promise<void> {
    result.objects.analyzed++;
    result.records += records.length;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      try {
        for (const detector of stateless) {
          const match = safeDetect(detector, record);
          if (match) onMatch(detector, match, record, key, writes);
        }
      } catch (error) {
        // Building a finding from a hostile record failed: that record is the failure, not the object.
        failRecord(key, `record ${i} could not be stored (${messageOf(error)})`);
      }
    }
    if (stateful.length > 0) {
      if (index > 0) await turns[index - 1]!.promise;
      // Within an object, by eventTime.
      const ordered = byEventTime(records);
      for (const detector of stateful) {
        const port = statePorts.get(detector.meta.id)!;
        const judge = async (list: readonly CloudTrailRecord[]) => {
          for (const record of list) {
            // A detector answers synchronously when it needs no state call: await only a promise.
            const answer = detector.detect(record, port);
            const match = isPromiseLike(answer) ? await answer : answer;
            if (match) onMatch(detector, match, record, key, writes);
          }
        };
        if (!detector.orderKey) {
          await judge(ordered);
          continue;
        }
        const unkeyed: CloudTrailRecord[] = [];
        const groups = new Map<string, CloudTrailRecord[]>();
        for (const record of ordered) {
          const orderKey = detector.orderKey(record);
          if (orderKey === undefined) unkeyed.push(record);
          else groups.get(orderKey)?.push(record) ?? groups.set(orderKey, [record]);
        }
        await judge(unkeyed);
        await Promise.all([...groups.values()].map(judge));
      }
    }
    await Promise.all(writes);
  }
  result.failures.sort((a, b) => a.key.localeCompare(b.key));
  return result;
}

/** A zero result for a batch. */
export function emptyResult(batch: number): BatchResult {
  return {
    batch,
    objects: { analyzed: 0, failed: 0 },
    records: 0,
    skippedRecords: 0,
    failedRecords: 0,
    bytes: 0,
    findings: { new: 0, duplicate: 0, suppressed: 0 },
    byDetector: {},
    suppressedByRule: {},
    failures: [],
  };
}

// A failure as reported: key and reason cut, so 100 of them keep the batch result item small.
function failure(key: string, reason: string): { key: string; reason: string } {
  return { key: cutToBytes(key, 1024).text, reason: cutToBytes(reason, 1024).text };
}

// A record field as text for suppression rules; anything but a string (a nested array, whose
// toString would recurse) is ''.
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

// The contract says detect never throws; a rule that does anyway (a user's Sigma rule hitting a
// bug) must not sink the object, so it counts as no match.
function safeDetect(detector: StatelessDetector, record: CloudTrailRecord): DetectorMatch | undefined {
  try {
    return detector.detect(record);
  } catch {
    return undefined;
  }
}

const PERMANENT_READ_ERRORS = new Set(['NoSuchKey', 'NotFound', 'AccessDenied', 'InvalidObjectState', 'ENOENT', 'EACCES', 'EISDIR']);

/**
 * Whether a read error is one no retry can fix: the object is gone (deleted or expired after the
 * listing), access is denied (a bucket or KMS key policy), or it is archived.
 */
export function isPermanentReadError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (PERMANENT_READ_ERRORS.has(e?.name ?? '') || PERMANENT_READ_ERRORS.has(e?.code ?? '')) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status === 403 || status === 404;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

// Array.prototype.sort is stable, so records with the same time keep their order in the file.
function byEventTime(records: CloudTrailRecord[]): CloudTrailRecord[] {
  return records.slice().sort((a, b) => {
    const x = typeof a.eventTime === 'string' ? a.eventTime : '';
    const y = typeof b.eventTime === 'string' ? b.eventTime : '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The Analyze step as the state machine calls it, with one work item. */
export function analyzeStep(ports: AnalyzePorts, options: AnalyzeOptions): (item: WorkItem) => Promise<BatchResult> {
  return (item) => analyzeWorkItem(ports, options, item);
}

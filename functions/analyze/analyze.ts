import pLimit from 'p-limit';
import { cutToBytes } from '../core/bounded.ts';
import { principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import type { RecordSlice } from '../core/log-slices.ts';
import { FindingRefusedError, LogObjectError, messageOf } from '../core/errors.ts';
import { buildFinding, type Finding } from '../core/findings.ts';
import type { BatchResult, WorkItem } from '../core/payloads.ts';
import type { AggregateStore, FindingsStore, ObjectReader, PutOutcome, RunStore, Suppressor } from '../core/ports.ts';
import { DetectorIndex } from '../detectors/prefilter.ts';
import type { Detector, DetectorMatch, StatelessDetector } from '../detectors/types.ts';
import { AggregateCollector } from './aggregates.ts';
import { isPermanentReadError, LargeObjectGate, readBounded } from './bounded-read.ts';

export type { Suppressor } from '../core/ports.ts';

/** What Analyze needs from the outside world. */
export interface AnalyzePorts {
  runs: Pick<RunStore, 'getManifestBatch' | 'putBatchResult'>;
  reader: ObjectReader;
  findings: FindingsStore;
  /** Where the work item's correlation aggregates go (see functions/core/correlation.ts). */
  aggregates: Pick<AggregateStore, 'putWorkItem'>;
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
export async function analyzeWorkItem(
  ports: AnalyzePorts,
  options: AnalyzeOptions,
  item: WorkItem,
): Promise<BatchResult> {
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
  // Per record only the detectors whose declared events it is: most records run two or three.
  const index = new DetectorIndex(options.detectors);
  const collector = new AggregateCollector(options.detectors);
  const readLimit = pLimit(options.readConcurrency);
  const writeLimit = pLimit(options.writeConcurrency);
  const startedAt = ports.now();
  const detectedAt = startedAt.toISOString();
  const largeObjects = new LargeObjectGate();
  // Finding ids this work item has stored: the same eventID twice (in one object or two) is one
  // finding, counted once; a retry of the work item starts afresh and counts the same way.
  const storedIds = new Set<string>();

  const store = async (finding: Finding) => {
    let outcome: PutOutcome;
    try {
      outcome = await writeLimit(() => ports.findings.putIfNew(finding));
    } catch (error) {
      // The store refused this item for its content: one bad record, not a failed work item.
      if (!(error instanceof FindingRefusedError)) throw error;
      failRecord(
        finding.objectKey,
        `finding ${finding.id.slice(0, 200)} refused by the findings table (${messageOf(error)})`,
      );
      return;
    }
    if (outcome === 'created') {
      result.findings.new++;
      result.byDetector[finding.detector] = (result.byDetector[finding.detector] ?? 0) + 1;
    } else result.findings.duplicate++;
  };

  const onMatch = (
    detector: Detector,
    match: DetectorMatch,
    record: CloudTrailRecord,
    objectKey: string,
    writes: Promise<void>[],
  ) => {
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
    const finding = buildFinding(detector.meta, match, record, {
      objectKey,
      runId,
      detectedAt,
      ...(options.findingsTtlDays ? { ttlDays: options.findingsTtlDays } : {}),
    });
    if (storedIds.has(finding.id)) {
      result.findings.duplicate++;
      return;
    }
    storedIds.add(finding.id);
    const write = store(finding);
    write.catch(() => undefined); // observed by Promise.all(writes); avoids an unhandled rejection meanwhile
    writes.push(write);
  };

  await Promise.all(keys.map((key) => readLimit(() => analyzeOne(key))));

  function failRecord(key: string, reason: string): void {
    result.failedRecords = (result.failedRecords ?? 0) + 1;
    if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push(failure(key, reason));
  }

  async function analyzeOne(key: string): Promise<void> {
    // The records are garbage once read and analysed (a finding carries its own copy of its record),
    // so no object's parsed tree stays alive while its findings are written. A large object keeps
    // its slot until then all the same, so the garbage collector may free its tree before the next.
    const { writes, release } = await readAndAnalyze(key);
    try {
      await Promise.all(writes);
    } finally {
      release();
    }
  }

  async function readAndAnalyze(key: string): Promise<{ writes: Promise<void>[]; release: () => void }> {
    let slices: Iterable<RecordSlice>;
    let release = () => {};
    try {
      const read = await readBounded(ports.reader, key, largeObjects);
      release = read.release;
      slices = read.decoded.slices;
      result.bytes += read.decoded.jsonBytes;
    } catch (error) {
      // A transient read error (5xx, throttling, network) must not become a lost object: it fails
      // the work item, which the state machine retries; if it never succeeds the run is incomplete
      // and its objects stay out of the ledger. Only objects that no retry can fix are reported and skipped.
      if (!(error instanceof LogObjectError) && !isPermanentReadError(error)) throw error;
      const reason = error instanceof LogObjectError ? error.reason : `could not read the object (${messageOf(error)})`;
      failObject(key, reason);
      return { writes: [], release };
    }
    const writes: Promise<void>[] = [];
    try {
      // One slice of records at a time (functions/core/log-slices.ts): each slice's tree is
      // garbage once analysed, and a finding carries its own copy of its record.
      for (const slice of slices) analyzeRecords(key, slice, writes);
      result.objects.analyzed++;
    } catch (error) {
      if (!(error instanceof LogObjectError)) {
        release();
        throw error;
      }
      // JSON that turns invalid (or too long) part-way: the object is reported; the records
      // before that point were analysed, and their findings stand.
      failObject(key, error.reason);
    }
    return { writes, release };
  }

  function failObject(key: string, reason: string): void {
    result.objects.failed++;
    if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push(failure(key, reason));
  }

  /** Runs the candidate detectors over a slice of records; adds the finding writes it started. */
  function analyzeRecords(key: string, slice: RecordSlice, writes: Promise<void>[]): void {
    const records = slice.records;
    result.records += records.length;
    result.skippedRecords += slice.skippedRecords;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const candidates = index.candidates(record);
      try {
        for (const detector of candidates.stateless) {
          const match = safeDetect(detector, record);
          if (match) onMatch(detector, match, record, key, writes);
        }
      } catch (error) {
        // Building a finding from a hostile record failed: that record is the failure, not the object.
        failRecord(key, `record ${slice.first + i} could not be stored (${messageOf(error)})`);
      }
      if (candidates.correlating.length > 0) collector.observe(record, key, candidates.correlating);
    }
  }
  await storeAggregates(ports, collector, runId, batch, result);
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

/**
 * Writes the work item's correlation aggregates: one item per key, in batches, after every
 * object was analysed (a retried work item writes them again, over its own).
 */
async function storeAggregates(
  ports: AnalyzePorts,
  collector: AggregateCollector,
  runId: string,
  batch: number,
  result: BatchResult,
): Promise<void> {
  if (!collector.active) return;
  const { aggregates, oversized } = collector.drain();
  for (const { detector, key } of oversized) {
    if (result.failures.length < MAX_REPORTED_FAILURES)
      result.failures.push({
        key: `${detector}: ${key.slice(0, 200)}`,
        reason: 'correlation aggregate too large: not stored',
      });
  }
  for (const [detector, message] of collector.errors) {
    if (result.failures.length < MAX_REPORTED_FAILURES)
      result.failures.push({ key: detector, reason: `correlation observe failed: ${message.slice(0, 200)}` });
  }
  result.stateWrites = await ports.aggregates.putWorkItem(runId, batch, aggregates);
}

/** The Analyze step as the state machine calls it, with one work item. */
export function analyzeStep(ports: AnalyzePorts, options: AnalyzeOptions): (item: WorkItem) => Promise<BatchResult> {
  return (item) => analyzeWorkItem(ports, options, item);
}

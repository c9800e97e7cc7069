import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';
import { analyzeObjects, type AnalyzeOptions } from '../../functions/analyze/analyze.ts';
import { correlateShard } from '../../functions/correlate/correlate.ts';
import { CORRELATION_SHARDS } from '../../functions/core/correlation.ts';
import type { BatchResult, CorrelateResult } from '../../functions/core/payloads.ts';
import type { ObjectReader } from '../../functions/core/ports.ts';
import { MemoryFindings, MemoryRuns } from './fakes.ts';

/**
 * Analyze (in work items of `batchSize` keys, in the given order) and then Correlate (every
 * shard) over in-memory stores: what one run of the state machine stores, without the servers.
 */
export async function analyzeAndCorrelate(
  reader: ObjectReader,
  keys: readonly string[],
  options: Pick<AnalyzeOptions, 'detectors'> & Partial<AnalyzeOptions> & { batchSize?: number; runId?: string },
  stores: { findings?: MemoryFindings; aggregates?: MemoryAggregateStore } = {},
): Promise<{
  findings: MemoryFindings;
  aggregates: MemoryAggregateStore;
  batches: BatchResult[];
  shards: CorrelateResult[];
}> {
  const findings = stores.findings ?? new MemoryFindings();
  const aggregates = stores.aggregates ?? new MemoryAggregateStore();
  const runId = options.runId ?? 'run-1';
  const batchSize = options.batchSize ?? 500;
  const now = () => new Date('2026-12-01T00:00:00Z');
  const ports = { runs: new MemoryRuns(), reader, findings, aggregates, now };
  const batches: BatchResult[] = [];
  for (let start = 0, batch = 0; start < keys.length; start += batchSize, batch++) {
    batches.push(
      await analyzeObjects(
        ports,
        { readConcurrency: 4, writeConcurrency: 4, ...options },
        runId,
        batch,
        keys.slice(start, start + batchSize),
      ),
    );
  }
  const shards: CorrelateResult[] = [];
  for (let shard = 0; shard < CORRELATION_SHARDS; shard++) {
    shards.push(
      await correlateShard(
        { aggregates, findings, now },
        { detectors: options.detectors, concurrency: 4 },
        { runId, shard },
      ),
    );
  }
  return { findings, aggregates, batches, shards };
}

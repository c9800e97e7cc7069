import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { CorrelateItem, WorkItem } from '../../functions/core/payloads.ts';
import type { WorkerSetup } from './analyze-worker-impl.ts';

/** A pool of worker threads running Analyze (and Correlate's shards), one task per thread at a time. */
export interface AnalyzePool {
  analyze(item: WorkItem): Promise<unknown>;
  /** One Correlate shard in a worker: the judging and its store round trips leave the main thread. */
  correlate(item: CorrelateItem): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Starts `threads` workers at once (default: one per core). The Map's MaxConcurrency still bounds how
 * many work items are in flight; the pool queues the rest, so every core parses.
 */
export function createAnalyzePool(setup: WorkerSetup, threads = availableParallelism()): AnalyzePool {
  const pool = new Piscina({
    // Beside this module: in the built CLI (dist/cli/) the compiled worker, in the sources the
    // small entry that loads the TypeScript. Piscina loads it as each thread starts, not on its
    // first task, so threads started at launch are warm when the Map begins.
    filename: new URL('./analyze-worker.js', import.meta.url).href,
    workerData: setup,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
  });
  return {
    analyze: (item) => pool.run(item),
    correlate: (item) => pool.run(item, { name: 'correlate' }),
    close: () => pool.destroy(),
  };
}

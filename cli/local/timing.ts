import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/**
 * Optional phase marks for the profiling harness (`npm run profile`): when TRAIL_AUDITOR_TIMING
 * names a file, every thread appends one JSON line per mark, stamped with the monotonic clock the
 * CPU profiles use (microseconds), so samples can be split by phase. Off, a mark costs one check.
 */
const file = process.env.TRAIL_AUDITOR_TIMING;

export function mark(event: string, detail?: Record<string, unknown>): void {
  if (!file) return;
  const us = Number(process.hrtime.bigint() / 1000n);
  appendFileSync(file, `${JSON.stringify({ us, thread: threadId, event, ...detail })}\n`);
}

/** Wraps an async step so that its start and end are marked (only when timing is on). */
export function timed<A, R>(event: string, step: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  if (!file) return step;
  return async (arg) => {
    mark(`${event}:start`);
    try {
      return await step(arg);
    } finally {
      mark(`${event}:end`);
    }
  };
}

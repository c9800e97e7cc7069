import type { RunProgress } from './local/runner.ts';

/** Where progress goes: stderr, so that stdout stays the report (and JSON stays parseable). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Shows a run's progress on one rewritten terminal line, and sums it up at the end. */
export interface ProgressReporter {
  update(progress: RunProgress): void;
  /** Clears the progress line (if any) and returns the closing line: duration and throughput. */
  finish(): string;
}

/** Rewrites the line at most this often, and not at all for runs shorter than the delay. */
const REFRESH_MS = 250;
const FIRST_AFTER_MS = 1000;
const CLEAR_LINE = '\r\x1b[K';

/**
 * Progress for long runs: objects done of those planned, records per second and an ETA, on a
 * terminal only. Anything else (a file, a pipe, CI logs) gets no carriage returns at all.
 */
export function progressReporter(stream: ProgressStream, now: () => number = Date.now): ProgressReporter {
  const started = now();
  let last: RunProgress | undefined;
  let lastDrawn = 0;
  let drawn = false;
  return {
    update(progress) {
      last = { ...progress, items: { ...progress.items }, objects: { ...progress.objects } };
      if (!stream.isTTY) return;
      const at = now();
      const done = progress.items.done === progress.items.planned;
      if (at - started < FIRST_AFTER_MS || (at - lastDrawn < REFRESH_MS && !done)) return;
      lastDrawn = at;
      drawn = true;
      stream.write(CLEAR_LINE + progressLine(progress, at - started));
    },
    finish() {
      if (drawn) stream.write(CLEAR_LINE);
      return finalLine(last, now() - started);
    },
  };
}

/** `  analyzing 1,200/5,000 objects (24%)  31,000 records/s  ETA 1m 05s` */
export function progressLine(progress: RunProgress, elapsedMs: number): string {
  const { objects, items } = progress;
  const share =
    objects.planned > 0 ? objects.done / objects.planned : items.planned > 0 ? items.done / items.planned : 0;
  const parts = [`  analyzing ${count(objects.done)}/${count(objects.planned)} objects (${Math.floor(share * 100)}%)`];
  if (elapsedMs > 0 && progress.records > 0)
    parts.push(`${count(Math.round((progress.records * 1000) / elapsedMs))} records/s`);
  if (share > 0 && share < 1) parts.push(`ETA ${duration((elapsedMs * (1 - share)) / share)}`);
  return parts.join('  ');
}

/** `  took      12.3 s: 5,000 objects, 1,234,567 records (100,364 records/s, 17.2 MB/s)` */
export function finalLine(progress: RunProgress | undefined, elapsedMs: number): string {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  if (!progress || progress.objects.done === 0) return `  took      ${duration(elapsedMs)}`;
  const rate = `${count(Math.round(progress.records / seconds))} records/s, ${(progress.bytes / 1e6 / seconds).toFixed(1)} MB/s`;
  return `  took      ${duration(elapsedMs)}: ${count(progress.objects.done)} objects, ${count(progress.records)} records (${rate})`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** 850 ms -> "0.9 s", 65 s -> "1m 05s", 2 h -> "2h 00m". */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

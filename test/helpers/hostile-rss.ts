// Runs one Analyze invocation over every object of a hostile trail folder (argv[2]) with the
// default read concurrency, and prints its counts and the process's peak RSS as one JSON line.
import { analyzeObjects } from '../../functions/analyze/analyze.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { DEFAULT_CONFIG } from '../../functions/core/config.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { MemoryFindings } from './fakes.ts';
import { HOSTILE_DAY } from './hostile-trail.ts';
import { MemoryAggregateStore } from '../../functions/adapters/memory-aggregates.ts';

const trail = new FolderTrail(process.argv[2]!);
const keys: string[] = [];
for await (const page of trail.listObjects(HOSTILE_DAY)) for (const o of page) if (!o.skip) keys.push(o.key);
const result = await analyzeObjects(
  {
    runs: undefined as never,
    reader: trail,
    findings: new MemoryFindings(),
    aggregates: new MemoryAggregateStore(),
    now: () => new Date(),
  },
  {
    detectors: BUILT_IN_DETECTORS,
    readConcurrency: DEFAULT_CONFIG.readConcurrency,
    writeConcurrency: DEFAULT_CONFIG.writeConcurrency,
  },
  'rss-run',
  0,
  keys.sort(),
);
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ maxRssMb, analyzed: result.objects.analyzed, failed: result.objects.failed }));

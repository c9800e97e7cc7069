/**
 * The peer measurement: DuckDB (`@duckdb/node-api`, a dev dependency of the bench only) reads the
 * same log files with `read_json`, materialising only the fields the workshop's two detections
 * need, and runs those detections as SQL, in its own process:
 * `node --import tsx bench/duckdb.ts <corpus dir> [threads]`. Reads the corpus only; the database
 * is in memory. Prints one JSON line.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { countCorpus } from './corpus.ts';

const [dir, threadArg = '2'] = process.argv.slice(2);
if (!dir) throw new Error('usage: duckdb.ts <corpus dir> [threads]');

// The same files as the other measurements (log files only, no digests), named one by one, so a
// trail prefix or either key layout needs no glob.
const { keys, gzipBytes } = await countCorpus(dir);
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const files = `[${keys.map((key) => quote(`${dir}/${key}`)).join(',')}]`;

const RECORD =
  'STRUCT(eventID VARCHAR, eventSource VARCHAR, eventName VARCHAR, userIdentity STRUCT(type VARCHAR, arn VARCHAR, accessKeyId VARCHAR))';
// deleting-logs and instance-creds-used-outside-ec2 exactly as functions/detectors/ states them;
// a finding is one per (detector, eventID), as in the findings table.
const sql = `
WITH records AS (
  SELECT unnest(Records) AS r
  FROM read_json(${files}, columns = {Records: '${RECORD}[]'}, format = 'unstructured', compression = 'gzip',
                 maximum_object_size = 268435456)
)
SELECT
  count(*) AS records,
  count(DISTINCT r.eventID) FILTER (WHERE (r.eventSource IN ('logs.amazonaws.com', 'cloudtrail.amazonaws.com') AND starts_with(r.eventName, 'Delete'))
                                       OR (r.eventSource = 'cloudtrail.amazonaws.com' AND r.eventName = 'StopLogging')) AS deleting_logs,
  count(DISTINCT r.eventID) FILTER (WHERE r.userIdentity.type = 'AssumedRole' AND starts_with(r.userIdentity.accessKeyId, 'AS')
                                       AND regexp_matches(r.userIdentity.arn, '^.*?/i-[a-zA-Z0-9]{8,}\\n?$')) AS instance_creds
FROM records`;

const start = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const instance = await DuckDBInstance.create(':memory:', { threads: threadArg });
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
const [row] = reader.getRowObjectsJS() as { records: bigint; deleting_logs: bigint; instance_creds: bigint }[];
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
connection.closeSync();
console.log(
  JSON.stringify({
    mode: 'duckdb',
    threads: Number(threadArg),
    files: keys.length,
    records: Number(row!.records),
    gzipBytes,
    byDetector: {
      'deleting-logs': Number(row!.deleting_logs),
      'instance-creds-used-outside-ec2': Number(row!.instance_creds),
    },
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);

import { AddressRanges, parseCidr, type AwsIpRanges } from './addresses.ts';
import { messageOf } from './errors.ts';

/*
 * Where a deployment gets AWS's published ranges (ip-ranges.json) without a bundled file: a copy
 * cached in the state table, fetched again at most once a day by one Lambda at a time. Never
 * required: any failure goes on with the cached copy, however old, or with none, in one log line.
 * The policy lives here, on three ports; the adapters (HTTP, DynamoDB) are in
 * functions/adapters/aws-ip-ranges.ts.
 */

/** Where AWS publishes its address ranges (the stack gives it to Correlate as AWS_IP_RANGES_URL). */
export const AWS_IP_RANGES_URL = 'https://ip-ranges.amazonaws.com/ip-ranges.json';

/** AWS's published ranges as the steps that judge with them see them. */
export interface AwsRangesSource {
  /** The ranges to judge with now, or undefined when none can be had. Never throws. */
  current(): Promise<AwsIpRanges | undefined>;
}

/** A publication of ip-ranges.json in compact form: its distinct prefixes, IPv4 and IPv6. */
export interface RangesPublication {
  prefixes: string[];
  syncToken?: string;
  createDate?: string;
}

/** A publication as cached, with when it was fetched (ISO time). */
export interface CachedRanges extends RangesPublication {
  fetchedAt: string;
}

/** What the cache holds: the last publication fetched, and the last fetch attempt (anyone's). */
export interface RangesCacheState {
  cached?: CachedRanges;
  attempt?: { at: string; failed: boolean };
}

/** The shared cache (the state table in AWS). */
export interface AwsRangesCache {
  read(): Promise<RangesCacheState>;
  /**
   * Claims the next fetch: true, and the attempt recorded at `at`, when no attempt was made
   * after `since`; false when another caller's is more recent (it is fetching, or failed lately).
   */
  claim(at: string, since: string): Promise<boolean>;
  /** Records that the attempt claimed at `at` failed, so others wait for the retry interval. */
  failed(at: string): Promise<void>;
  write(ranges: CachedRanges): Promise<void>;
}

/** Gets the current publication (from AWS's URL in AWS). */
export interface RangesFetcher {
  /** Where it fetches from, for log lines. */
  readonly source: string;
  fetch(): Promise<RangesPublication>;
}

export interface CachedAwsRangesOptions {
  cache: AwsRangesCache;
  fetcher: RangesFetcher;
  now?: () => Date;
  /** One line per event worth knowing (fetched, failed, going on without). */
  log?: (line: string) => void;
  /** A cached copy younger than this is used without fetching; default 24 h. */
  maxAgeHours?: number;
  /** After a failed attempt, nobody tries again for this long; default 60 min. */
  retryMinutes?: number;
  /** With nothing cached, how long to wait for another caller's fetch (longer than a fetch may take); default 8 s. */
  waitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const HOUR = 3_600_000;

/**
 * The ranges from the cache while it is younger than `maxAgeHours`; else one caller (a conditional
 * claim on the cache) fetches and stores them, and the others go on with the cached copy (or,
 * with none cached yet, wait a few seconds for it). Kept in memory per process between calls.
 */
export function cachedAwsRanges(options: CachedAwsRangesOptions): AwsRangesSource {
  const { cache, fetcher } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => console.log(line));
  const maxAgeMs = (options.maxAgeHours ?? 24) * HOUR;
  const retryMs = (options.retryMinutes ?? 60) * 60_000;
  const waitMs = options.waitMs ?? 8_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let memo: { fetchedAt: string; ranges: AwsIpRanges } | undefined;

  const ageMs = (fetchedAt: string) => now().getTime() - Date.parse(fetchedAt);
  const use = (cached: CachedRanges): AwsIpRanges | undefined => {
    if (memo?.fetchedAt === cached.fetchedAt) return memo.ranges;
    const ranges = rangesOf(cached);
    if (!ranges) {
      log(`AWS ip ranges: the cached copy of ${cached.fetchedAt} is damaged; ignoring it`);
      return undefined;
    }
    memo = { fetchedAt: cached.fetchedAt, ranges };
    return ranges;
  };
  const readCache = async (): Promise<RangesCacheState> => {
    try {
      return await cache.read();
    } catch (error) {
      log(`AWS ip ranges: cannot read the cache (${messageOf(error)})`);
      return {};
    }
  };
  const without = (cached: CachedRanges | undefined, why: string): AwsIpRanges | undefined => {
    if (!cached) {
      log(`AWS ip ranges: ${why}; going on without AWS's published ranges`);
      return undefined;
    }
    const hours = Math.round(ageMs(cached.fetchedAt) / HOUR);
    log(`AWS ip ranges: ${why}; going on with the copy fetched ${cached.fetchedAt} (${hours} h old)`);
    return use(cached);
  };

  return {
    async current() {
      if (memo && ageMs(memo.fetchedAt) < maxAgeMs) return memo.ranges;
      const state = await readCache();
      const cached = state.cached;
      if (cached && ageMs(cached.fetchedAt) < maxAgeMs) {
        const ranges = use(cached);
        if (ranges) return ranges;
      }
      const at = now().toISOString();
      let claimed: boolean;
      try {
        claimed = await cache.claim(at, new Date(now().getTime() - retryMs).toISOString());
      } catch (error) {
        return without(cached, `cannot claim the fetch (${messageOf(error)})`);
      }
      if (!claimed) {
        const last = state.attempt;
        if (last?.failed)
          return without(
            cached,
            `the last fetch, at ${last.at}, failed; it is tried again after ${Math.round(retryMs / 60_000)} min`,
          );
        if (cached) return without(cached, 'another caller is fetching them now');
        // An attempt older than a fetch can take died with its Lambda (a timeout): no use waiting.
        if (last && ageMs(last.at) > waitMs)
          return without(
            cached,
            `the last fetch, at ${last.at}, did not finish; it is tried again after ${Math.round(retryMs / 60_000)} min`,
          );
        return waitForOther(cached);
      }
      let publication: RangesPublication;
      try {
        publication = await fetcher.fetch();
      } catch (error) {
        await cache.failed(at).catch(() => {});
        return without(cached, `cannot fetch ${fetcher.source} (${messageOf(error)})`);
      }
      const fresh: CachedRanges = { ...publication, fetchedAt: at };
      try {
        await cache.write(fresh);
      } catch (error) {
        log(`AWS ip ranges: fetched but cannot cache them (${messageOf(error)})`);
      }
      const ranges = use(fresh);
      log(
        `AWS ip ranges: fetched ${fresh.prefixes.length} prefixes (syncToken ${fresh.syncToken ?? 'none'}) from ${fetcher.source}`,
      );
      return ranges;
    },
  };

  /** Another caller claimed the first fetch: its copy is worth a few seconds, so every shard judges alike. */
  async function waitForOther(cached: CachedRanges | undefined): Promise<AwsIpRanges | undefined> {
    const step = Math.max(1, Math.min(500, waitMs));
    for (let waited = 0; waited < waitMs; waited += step) {
      await sleep(step);
      const state = await readCache();
      if (state.cached) return use(state.cached);
      if (state.attempt?.failed) break;
    }
    return without(cached, 'another caller is fetching them and has not stored them yet');
  }
}

/** A matcher over a cached publication's prefixes; undefined when any prefix is malformed. */
export function rangesOf(publication: RangesPublication): AwsIpRanges | undefined {
  const ranges = new AddressRanges();
  for (const prefix of publication.prefixes) if (!ranges.add(prefix)) return undefined;
  return {
    contains: (address: string) => ranges.contains(address),
    prefixCount: ranges.size,
    ...(publication.syncToken ? { syncToken: publication.syncToken } : {}),
    ...(publication.createDate ? { createDate: publication.createDate } : {}),
  };
}

/** The distinct prefixes of a parsed ip-ranges.json, sorted (IPv4 first), for the compact copy. */
export function prefixesOf(doc: { prefixes?: unknown; ipv6_prefixes?: unknown }): string[] {
  const take = (entries: unknown, field: string) =>
    (Array.isArray(entries) ? entries : [])
      .map((entry) => (entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[field] : undefined))
      .filter((cidr): cidr is string => typeof cidr === 'string' && parseCidr(cidr) !== undefined);
  const unique = (list: string[]) => [...new Set(list)].sort();
  return [...unique(take(doc.prefixes, 'ip_prefix')), ...unique(take(doc.ipv6_prefixes, 'ipv6_prefix'))];
}

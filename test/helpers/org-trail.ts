import type { ObjectInfo, TrailLister } from '../../functions/core/ports.ts';

/** The shape of a simulated organisation trail. */
export interface OrgTrailShape {
  orgId: string;
  accounts: number;
  regions: readonly string[];
  /** Log files in each account, region and UTC day. */
  filesPerDay: number;
  /** Size reported for each object (bytes). */
  objectSize: number;
}

/** The 17 regions CloudTrail delivers from by default in a typical organisation. */
export const SEVENTEEN_REGIONS = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;

/**
 * An organisation trail (`AWSLogs/<o-org>/<account>/CloudTrail/<region>/YYYY/MM/DD/`) whose keys
 * are generated when listed, never stored: a day folder's keys are derived from the folder's name,
 * so a listing of millions of objects holds one page at a time. Counts listing calls and the most
 * calls in flight at once (each call waits one macrotask, as a network call would).
 */
export class OrgTrailLister implements TrailLister {
  listObjectsCalls = 0;
  listFoldersCalls = 0;
  objectsListed = 0;
  maxInFlight = 0;
  private inFlight = 0;

  constructor(
    readonly shape: OrgTrailShape,
    /** Called once per listObjects call (e.g. to sample memory). */
    private readonly onList?: () => void,
  ) {}

  account(index: number): string {
    return String(100000000000 + index * 7919).padStart(12, '0');
  }

  private async enter(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async listFolders(prefix: string): Promise<string[]> {
    this.listFoldersCalls++;
    await this.enter();
    try {
      const root = 'AWSLogs/';
      const org = `${root}${this.shape.orgId}/`;
      if (prefix === root) return [org];
      if (prefix === org) return Array.from({ length: this.shape.accounts }, (_, i) => `${org}${this.account(i)}/`);
      const account = /^AWSLogs\/o-[a-z0-9]+\/(\d{12})\/CloudTrail\/$/.exec(prefix);
      if (account) return this.shape.regions.map((region) => `${prefix}${region}/`);
      return [];
    } finally {
      this.inFlight--;
    }
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    this.listObjectsCalls++;
    this.onList?.();
    await this.enter();
    try {
      const day = /^AWSLogs\/o-[a-z0-9]+\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/$/.exec(
        prefix,
      );
      if (!day) throw new Error(`OrgTrailLister lists day folders only, not ${prefix}`);
      const [, account, region, year, month, date] = day as unknown as string[];
      const midnight = Date.UTC(Number(year), Number(month) - 1, Number(date));
      const lastModified = new Date(midnight + 86_400_000);
      // Unique ids like CloudTrail's (16 characters), the same on every listing of the folder.
      const seed = hash(prefix);
      const files = this.shape.filesPerDay;
      let page: ObjectInfo[] = [];
      let stampIndex = -1;
      let compact = '';
      for (let i = 0; i < files; i++) {
        // 288 five-minute stamps a day; with more files than stamps, several share one.
        const index = Math.floor((i * 288) / files);
        if (index !== stampIndex) {
          stampIndex = index;
          const stamp = new Date(midnight + index * 300_000).toISOString();
          compact = `${stamp.slice(0, 4)}${stamp.slice(5, 7)}${stamp.slice(8, 10)}T${stamp.slice(11, 13)}${stamp.slice(14, 16)}Z`;
        }
        page.push({
          key: `${prefix}${account}_CloudTrail_${region}_${compact}_${uniqueId(seed, i)}.json.gz`,
          size: this.shape.objectSize,
          lastModified,
        });
        // S3 pages hold 1,000 keys.
        if (page.length === 1000) {
          this.objectsListed += page.length;
          yield page;
          page = [];
        }
      }
      this.objectsListed += page.length;
      if (page.length > 0) yield page;
    } finally {
      this.inFlight--;
    }
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** 16 hex characters, pseudo-random per (folder, index): cheap enough for millions of keys. */
function uniqueId(seed: number, index: number): string {
  const a = mix(seed ^ Math.imul(index + 1, 0x9e3779b1));
  const b = mix(a ^ 0x85ebca6b);
  return HEX4[a >>> 16]! + HEX4[a & 0xffff]! + HEX4[b >>> 16]! + HEX4[b & 0xffff]!;
}

const HEX4 = Array.from({ length: 65_536 }, (_, i) => i.toString(16).padStart(4, '0'));

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

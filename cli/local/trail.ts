import { existsSync, readdirSync, statSync } from 'node:fs';
import { InvalidInputError } from '../../functions/core/errors.ts';
import { join, resolve } from 'node:path';
import { s3Client } from '../../functions/adapters/clients.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { S3Trail, parseS3Url } from '../../functions/adapters/s3.ts';
import type { ObjectInfo, ObjectReader, ReadOptions, TrailLister } from '../../functions/core/ports.ts';

/** A trail the local runner can read: a folder, or `s3://bucket[/prefix]` (AWS or AWS_ENDPOINT_URL_S3). */
export interface OpenedTrail {
  lister: TrailLister;
  reader: ObjectReader;
  /** The key prefix before `AWSLogs/` that the spec names ('' for none). */
  trailPrefix: string;
  description: string;
}

export function openTrail(spec: string): OpenedTrail {
  if (spec.startsWith('s3://')) {
    const url = parseS3Url(spec);
    if (!url) throw new InvalidInputError(`not an S3 URL: ${spec} (expected s3://bucket[/prefix])`);
    const trail = new S3Trail(s3Client(), url.bucket);
    return { lister: trail, reader: trail, trailPrefix: url.prefix.replace(/(^|\/)AWSLogs$/, ''), description: spec };
  }
  const folder = resolve(spec);
  // A mistyped path would otherwise audit nothing and report success.
  if (!existsSync(folder)) throw new InvalidInputError(`trail folder not found: ${folder}`);
  if (!statSync(folder).isDirectory())
    throw new InvalidInputError(`--trail must be a folder or an s3:// URL, not a file: ${folder}`);
  // `aws s3 sync s3://bucket/AWSLogs ./trail` drops the AWSLogs level: accept both.
  const trail = holdsAccountFolders(folder) ? new AwsLogsFolder(new FolderTrail(folder)) : new FolderTrail(folder);
  return { lister: trail, reader: trail, trailPrefix: '', description: folder };
}

/** No `AWSLogs` folder, but account (or organisation) folders at the top: a sync of s3://bucket/AWSLogs. */
function holdsAccountFolders(folder: string): boolean {
  if (!existsSync(folder) || existsSync(join(folder, 'AWSLogs'))) return false;
  return readdirSync(folder, { withFileTypes: true }).some(
    (entry) => entry.isDirectory() && /^(\d{12}|o-[a-z0-9]{10,32})$/.test(entry.name),
  );
}

const AWS_LOGS = 'AWSLogs/';

/** A folder that holds what the bucket has under `AWSLogs/`, shown with the bucket's keys. */
class AwsLogsFolder implements TrailLister, ObjectReader {
  constructor(private readonly inner: FolderTrail) {}

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    if (!prefix.startsWith(AWS_LOGS) && !AWS_LOGS.startsWith(prefix)) return;
    const inner = prefix.startsWith(AWS_LOGS) ? prefix.slice(AWS_LOGS.length) : '';
    for await (const page of this.inner.listObjects(inner)) yield page.map((o) => ({ ...o, key: AWS_LOGS + o.key }));
  }

  async listFolders(prefix: string): Promise<string[]> {
    if (prefix === '') return [AWS_LOGS];
    if (!prefix.startsWith(AWS_LOGS)) return [];
    return (await this.inner.listFolders(prefix.slice(AWS_LOGS.length))).map((folder) => AWS_LOGS + folder);
  }

  async read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    if (!key.startsWith(AWS_LOGS)) throw new Error(`no such key in this trail folder: ${key}`);
    return this.inner.read(key.slice(AWS_LOGS.length), options);
  }
}

import { resolve } from 'node:path';
import { s3Client } from '../../functions/adapters/clients.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { S3Trail, parseS3Url } from '../../functions/adapters/s3.ts';
import type { ObjectReader, TrailLister } from '../../functions/core/ports.ts';

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
    if (!url) throw new Error(`not an S3 URL: ${spec} (expected s3://bucket[/prefix])`);
    const trail = new S3Trail(s3Client(), url.bucket);
    return { lister: trail, reader: trail, trailPrefix: url.prefix.replace(/\/?AWSLogs$/, ''), description: spec };
  }
  const folder = resolve(spec);
  // `aws s3 sync s3://bucket/AWSLogs ./trail` drops the AWSLogs level: accept both.
  const trail = new FolderTrail(folder);
  return { lister: trail, reader: trail, trailPrefix: '', description: folder };
}

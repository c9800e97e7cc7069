import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mb } from '../core/cloudtrail.ts';
import { ObjectTooLargeError } from '../core/errors.ts';
import type { ObjectInfo, ObjectReader, ReadOptions, TrailLister } from '../core/ports.ts';

/** The trail bucket over the S3 API (AWS, or any S3-compatible endpoint). */
export class S3Trail implements TrailLister, ObjectReader {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      yield (page.Contents ?? []).flatMap((o) =>
        o.Key ? [{ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) }] : [],
      );
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return folders;
  }

  async read(key: string, options: ReadOptions = {}): Promise<Uint8Array> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!answer.Body) return new Uint8Array(0);
    // The size comes with the headers: an object over the limit is refused before its body is read.
    const size = answer.ContentLength ?? 0;
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      (answer.Body as { destroy?: () => void }).destroy?.();
      throw new ObjectTooLargeError(key, `is ${mb(size)}, over the ${mb(options.maxBytes)} limit for one log object`);
    }
    return answer.Body.transformToByteArray();
  }
}

/** Splits `s3://bucket/prefix` into its parts. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) return undefined;
  return { bucket: match[1]!, prefix: match[2]!.replace(/\/+$/, '') };
}

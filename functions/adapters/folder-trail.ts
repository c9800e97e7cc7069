import { opendir, readFile, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { ObjectInfo, ObjectReader, TrailLister } from '../core/ports.ts';

const PAGE = 1000;

/**
 * A trail synced to a folder (`aws s3 sync s3://<trail-bucket> ./trail`): keys are paths relative
 * to the folder with `/` separators, LastModified is the file's mtime (which `aws s3 sync` sets
 * to the object's LastModified).
 */
export class FolderTrail implements TrailLister, ObjectReader {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    // A prefix is a folder path when it ends in '/', as all of Plan's prefixes do.
    const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    let page: ObjectInfo[] = [];
    for await (const key of walk(this.path(folder), folder)) {
      const info = await stat(this.path(key));
      page.push({ key, size: info.size, lastModified: info.mtime });
      if (page.length >= PAGE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    try {
      for await (const entry of await opendir(this.path(prefix.replace(/\/$/, '')))) {
        if (entry.isDirectory()) folders.push(`${prefix}${entry.name}/`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return folders.sort();
  }

  async read(key: string): Promise<Uint8Array> {
    return readFile(this.path(key));
  }
}

async function* walk(dir: string, key: string): AsyncGenerator<string> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for await (const entry of handle) {
    const child = key ? `${key}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walk(`${dir}${sep}${entry.name}`, child);
    else if (entry.isFile()) yield child;
  }
}

import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import type { Dir } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { mb } from '../core/cloudtrail.ts';
import { LogObjectError, ObjectTooLargeError } from '../core/errors.ts';
import type { ObjectInfo, ObjectReader, ReadOptions, TrailLister } from '../core/ports.ts';

const PAGE = 1000;

/** The skip reason of a symbolic link in a trail folder. */
export const SYMLINK = 'symlink';

/**
 * A trail synced to a folder (`aws s3 sync s3://<trail-bucket> ./trail`): keys are paths relative
 * to the folder with `/` separators, LastModified is the file's mtime (which `aws s3 sync` sets
 * to the object's LastModified).
 *
 * Symbolic links are never followed, files or folders: `aws s3 sync` makes none, and following
 * one could read outside the trail (a day folder linked to `/`). Each link met while listing is
 * offered as skipped with reason `symlink` (a listed prefix that is itself, or lies under, a
 * link counts once, by the prefix), and reading a link is refused with that reason.
 */
export class FolderTrail implements TrailLister, ObjectReader {
  private realRoot: string | undefined;
  constructor(private readonly root: string) {}

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    // A prefix is a folder path when it ends in '/', as all of Plan's prefixes do.
    const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    if (this.throughLink(folder)) {
      yield [{ key: folder, size: 0, lastModified: new Date(0), skip: SYMLINK }];
      return;
    }
    let page: ObjectInfo[] = [];
    for await (const [key, isLink] of walk(this.path(folder), folder)) {
      if (isLink) page.push({ key, size: 0, lastModified: new Date(0), skip: SYMLINK });
      else {
        const info = await stat(this.path(key));
        page.push({ key, size: info.size, lastModified: info.mtime });
      }
      if (page.length >= PAGE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    if (await this.throughLink(prefix.replace(/\/$/, ''))) return folders;
    try {
      for await (const entry of await opendir(this.path(prefix.replace(/\/$/, '')))) {
        // A Dirent describes the link itself: a linked folder is not a directory here.
        if (entry.isDirectory()) folders.push(`${prefix}${entry.name}/`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return folders.sort();
  }

  /**
   * Synchronous inside: a local file is read in well under a millisecond, and the promise API's
   * thread-pool round trips took twice the CPU over the bench corpus (0.4-0.5 s against 0.2 s
   * for 1,911 files); Analyze has nothing else to do meanwhile.
   */
  async read(key: string, options: ReadOptions = {}): Promise<Uint8Array> {
    if (this.throughLink(key.split('/').slice(0, -1).join('/'))) throw symlinkError(key);
    let fd: number;
    try {
      // O_NOFOLLOW: a link in the last component fails with ELOOP instead of being followed.
      fd = openSync(this.path(key), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkError(key);
      throw error;
    }
    try {
      // Size first, from the open file: a 2 GiB file is refused before a byte of it is read.
      const { size } = fstatSync(fd);
      if (options.maxBytes !== undefined && size > options.maxBytes) throw tooLarge(key, size, options.maxBytes);
      const body = readFileSync(fd);
      // The file may have grown since: the limit holds for what was read.
      if (options.maxBytes !== undefined && body.byteLength > options.maxBytes)
        throw tooLarge(key, body.byteLength, options.maxBytes);
      return body;
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the folder of `key` (relative, `/`-separated) is, or lies under, a symbolic link. */
  private throughLink(key: string): boolean {
    if (!key) return false;
    let real: string;
    try {
      real = realpathSync.native(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    this.realRoot ??= realpathSync.native(this.root);
    return relative(this.realRoot, real) !== join(...key.split('/'));
  }
}

function symlinkError(key: string): LogObjectError {
  return new LogObjectError(key, 'is a symbolic link or lies under one: never followed in a trail folder');
}

function tooLarge(key: string, size: number, limit: number): ObjectTooLargeError {
  return new ObjectTooLargeError(key, `is ${mb(size)}, over the ${mb(limit)} limit for one log object`);
}

/** Keys under `dir`, each with whether it is a symbolic link (never followed). */
async function* walk(dir: string, key: string): AsyncGenerator<[string, boolean]> {
  let handle: Dir;
  try {
    handle = await opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for await (const entry of handle) {
    const child = key ? `${key}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) yield [child, true];
    else if (entry.isDirectory()) yield* walk(`${dir}${sep}${entry.name}`, child);
    else if (entry.isFile()) yield [child, false];
  }
}

import type { ObjectInfo, ObjectReader, TrailLister } from '../../functions/core/ports.ts';

/** One log object of a simulated delivery timeline. */
export interface TimelineObject {
  key: string;
  body: Uint8Array;
  /** S3's LastModified: when the upload started (what a listing reports). */
  lastModified: Date;
  /** When the object became visible to a listing (the upload finished): >= lastModified. */
  visibleAt: Date;
}

/**
 * A trail bucket whose objects appear over time: a listing at `now` sees only the objects visible
 * by then. Indexed by day folder, so a scheduled run's listing of a few day folders costs what it
 * lists and not the whole bucket (MemoryTrail scans every key per listing). Listings return the
 * objects in the order they were delivered, which is not key order (TrailLister allows any order).
 */
export class TimelineTrail implements TrailLister, ObjectReader {
  now = new Date(0);
  private readonly folders = new Map<string, TimelineObject[]>();
  private readonly byKey = new Map<string, TimelineObject>();
  private sorted = true;

  add(object: TimelineObject): void {
    const folder = object.key.slice(0, object.key.lastIndexOf('/') + 1);
    let list = this.folders.get(folder);
    if (!list) this.folders.set(folder, (list = []));
    list.push(object);
    this.byKey.set(object.key, object);
    this.sorted = false;
  }

  /** Every object, visible or not. */
  all(): TimelineObject[] {
    return [...this.byKey.values()];
  }

  private sort(): void {
    if (this.sorted) return;
    for (const list of this.folders.values()) list.sort((a, b) => a.visibleAt.getTime() - b.visibleAt.getTime());
    this.sorted = true;
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo[]> {
    this.sort();
    const now = this.now.getTime();
    for (const [folder, list] of this.folders) {
      if (!folder.startsWith(prefix)) continue;
      let page: ObjectInfo[] = [];
      for (const object of list) {
        if (object.visibleAt.getTime() > now) break;
        page.push({ key: object.key, size: object.body.byteLength, lastModified: object.lastModified });
        if (page.length === 1000) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    }
  }

  async listFolders(prefix: string): Promise<string[]> {
    this.sort();
    const now = this.now.getTime();
    const found = new Set<string>();
    for (const [folder, list] of this.folders) {
      if (!folder.startsWith(prefix) || !list[0] || list[0].visibleAt.getTime() > now) continue;
      const rest = folder.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash > 0) found.add(prefix + rest.slice(0, slash + 1));
    }
    return [...found].sort();
  }

  async read(key: string): Promise<Uint8Array> {
    const object = this.byKey.get(key);
    if (!object || object.visibleAt.getTime() > this.now.getTime()) throw new Error(`NoSuchKey: ${key}`);
    return object.body;
  }
}

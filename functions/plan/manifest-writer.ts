import type { RunStore } from '../core/ports.ts';
import type { AuditConfig } from '../core/config.ts';

/** Collects keys into batches by count and bytes and writes each full batch to the manifest. */
export class ManifestWriter {
  batches = 0;
  objects = 0;
  private keys: string[] = [];
  private bytes = 0;
  private readonly writes: Promise<void>[] = [];

  constructor(
    private readonly runs: RunStore,
    private readonly runId: string,
    private readonly config: Pick<AuditConfig, 'batchMaxObjects' | 'batchMaxBytes'>,
  ) {}

  async add(key: string, size: number): Promise<void> {
    this.keys.push(key);
    this.bytes += size;
    this.objects++;
    if (this.keys.length >= this.config.batchMaxObjects || this.bytes >= this.config.batchMaxBytes) await this.flush();
  }

  async close(): Promise<void> {
    if (this.keys.length > 0) await this.flush();
    await Promise.all(this.writes);
  }

  private async flush(): Promise<void> {
    const keys = this.keys.sort();
    const batch = this.batches++;
    this.keys = [];
    this.bytes = 0;
    const write = this.runs.putManifestBatch(this.runId, batch, keys);
    write.catch(() => undefined); // observed by the Promise.all below; avoids an unhandled rejection meanwhile
    this.writes.push(write);
    // Bound memory: never hold more than a few unwritten batches.
    if (this.writes.length >= 8) await Promise.all(this.writes.splice(0));
  }
}

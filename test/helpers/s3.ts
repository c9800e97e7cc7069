import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { tempDir } from './local.ts';

/** Client settings for an s3rver on `port`: the only key pair it accepts, path style, no stream checksums. */
export function s3rverClientConfig(port: number) {
  return {
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // With the SDK's default flexible checksums s3rver stores the aws-chunked framing as the body.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  } as const;
}

/** An s3rver on a free loopback port, its data in a temporary folder, with `buckets` created. */
export async function startS3rver(
  buckets: string[],
): Promise<{ port: number; client: S3Client; close: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir('trail-auditor-s3rver-');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = (await server.run()) as AddressInfo;
  const client = new S3Client(s3rverClientConfig(port));
  return {
    port,
    client,
    async close() {
      client.destroy();
      await server.close();
      await cleanup();
    },
  };
}

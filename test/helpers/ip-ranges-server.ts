import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in for ip-ranges.amazonaws.com answers its next requests. */
export type RangesAnswer =
  | { kind: 'json'; body: string; chunked?: boolean }
  | { kind: 'status'; status: number }
  | { kind: 'silent' };

/**
 * A local HTTP server playing https://ip-ranges.amazonaws.com/ip-ranges.json: answers as `answer`
 * says, counts requests, and can be closed to play a Lambda without egress.
 */
export async function ipRangesServer(answer: RangesAnswer): Promise<{
  url: string;
  requests: () => number;
  answer: (next: RangesAnswer) => void;
  close: () => Promise<void>;
}> {
  let current = answer;
  let requests = 0;
  const server: Server = createServer((_request, response) => {
    requests++;
    const now = current;
    if (now.kind === 'silent') return; // never answers: the client's timeout must end the wait
    if (now.kind === 'status') {
      response.writeHead(now.status).end('Service Unavailable');
      return;
    }
    if (now.chunked) {
      // No content-length: the client must bound what it reads as it reads.
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let at = 0; at < now.body.length; at += 512) response.write(now.body.slice(at, at + 512));
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(now.body) });
    response.end(now.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ip-ranges.json`,
    requests: () => requests,
    answer: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small ip-ranges.json written by us: documentation ranges play AWS's, with AWS's duplicates. */
export function ipRangesJson(options: { syncToken?: string; extra?: string[] } = {}): string {
  const entry = (ip_prefix: string, service: string) => ({
    ip_prefix,
    region: 'us-east-1',
    service,
    network_border_group: 'us-east-1',
  });
  return JSON.stringify({
    syncToken: options.syncToken ?? '1764547200',
    createDate: '2026-12-01-00-00-00',
    prefixes: [
      entry('192.0.2.0/24', 'AMAZON'),
      entry('192.0.2.0/24', 'EC2'),
      entry('198.51.100.0/25', 'AMAZON'),
      ...(options.extra ?? []).map((cidr) => entry(cidr, 'AMAZON')),
    ],
    ipv6_prefixes: [
      { ipv6_prefix: '2001:db8:1000::/36', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
    ],
  });
}

// The local S3 server every client is measured against, started in this (otherwise idle)
// process, with a count of every HTTP request it received, by method.
//
// Requests are counted at the server, never from a client's own claims: Node publishes each
// incoming request on the `http.server.request.start` diagnostics channel, and we keep those
// whose socket is the S3 server's port (the Open-Meteo stand-in shares the process). The count
// includes requests the server rejected (auth, faults), as a real S3 bill would.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';

export interface CountedS3Server {
  server: TestS3Server;
  port: number;
  /** Requests by HTTP method since start or the last reset. */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

const CHANNEL = 'http.server.request.start';

export async function startCountedS3Server(bucket: string): Promise<CountedS3Server> {
  const server = await startS3Server({ buckets: [bucket] });
  const port = Number(new URL(server.endpoint).port);
  let counts: Record<string, number> = {};
  const onRequest = (message: unknown) => {
    const request = (message as { request?: IncomingMessage }).request;
    if (request?.socket.localPort !== port) return;
    const method = request.method ?? 'OTHER';
    counts[method] = (counts[method] ?? 0) + 1;
  };
  subscribe(CHANNEL, onRequest);
  return {
    server,
    port,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset: () => {
      counts = {};
    },
    close: async () => {
      unsubscribe(CHANNEL, onRequest);
      await server.close();
    },
  };
}

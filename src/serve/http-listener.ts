import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from './listen-address.ts';

/** What the HTTP listener serves; each returns the body and its content type. */
export interface HttpRoutes {
  metrics(): Promise<{ body: string; type: string }>;
  status(): Promise<unknown>;
  page(): Promise<string>;
}

/**
 * Starts `serve`'s HTTP listener: `GET /metrics` (Prometheus text), `GET /api/status` (JSON),
 * `GET /` (the status page), 404 otherwise. Resolves with the server and the port it bound
 * (for port 0); rejects naming the address when it cannot listen.
 */
export async function startHttpListener(
  address: ListenAddress,
  routes: HttpRoutes,
  onError: (error: Error) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      response.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(405, 'text/plain', 'method not allowed\n');
    const answer = async () => {
      if (path === '/metrics') {
        const { body, type } = await routes.metrics();
        return send(200, type, body);
      }
      if (path === '/api/status')
        return send(200, 'application/json', `${JSON.stringify(await routes.status(), null, 2)}\n`);
      if (path === '/') return send(200, 'text/html; charset=utf-8', await routes.page());
      return send(404, 'text/plain', 'not found\n');
    };
    answer().catch((error: Error) => {
      onError(error);
      send(500, 'text/plain', `${error.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

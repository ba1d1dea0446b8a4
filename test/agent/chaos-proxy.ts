// A proxy in front of the real ingestion that can misbehave on demand: answer 500 (before or after
// forwarding, i.e. after the entries were stored), hang until the client times out, or refuse
// connections. It records what each request carried and what the server answered.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type ProxyMode = 'pass' | 'fail500' | 'store-then-500' | 'hang';

export interface ProxiedRequest {
  entries: number;
  bytes: number;
  status: number;
  accepted?: number;
  duplicates?: number;
}

export class ChaosProxy {
  mode: ProxyMode = 'pass';
  /** Delay before answering, after forwarding (widens the window for a kill -9 mid-request). */
  delayMs = 0;
  readonly requests: ProxiedRequest[] = [];
  inFlight = 0;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(private readonly target: string) {
    this.server = this.makeServer();
  }

  static async start(target: string): Promise<ChaosProxy> {
    const p = new ChaosProxy(target);
    await p.listen();
    return p;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private makeServer(): Server {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and drops every connection: clients get "connection refused". */
  async refuse(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async accept(): Promise<void> {
    this.server = this.makeServer();
    await this.listen();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const plain = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      const record: ProxiedRequest = {
        entries: plain.toString('utf8').split('\n').filter(Boolean).length,
        bytes: plain.length,
        status: 0,
      };
      this.requests.push(record);
      const mode = this.mode;
      if (mode === 'hang') return; // never answered; the socket is destroyed by the client or close()
      if (mode === 'fail500') {
        record.status = 500;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure');
        return;
      }
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type', 'content-encoding'])
        if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      const upstream = await fetch(`${this.target}${req.url ?? '/'}`, { method: req.method, headers, body });
      const text = await upstream.text();
      if (upstream.status === 200) {
        const r = JSON.parse(text) as { accepted: number; duplicates: number };
        record.accepted = r.accepted;
        record.duplicates = r.duplicates;
      }
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      record.status = mode === 'store-then-500' ? 500 : upstream.status;
      if (mode === 'store-then-500') res.writeHead(500).end('stored, but the answer is lost');
      else
        res
          .writeHead(upstream.status, {
            'content-type': upstream.headers.get('content-type') ?? 'text/plain',
          })
          .end(text);
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
    } finally {
      this.inFlight -= 1;
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

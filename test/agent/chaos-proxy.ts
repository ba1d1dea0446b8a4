// A proxy in front of the real ingestion that can misbehave on demand: answer 500 (before or after
// forwarding, i.e. after the entries were stored), hang until the client times out, or refuse
// connections. It records what each request carried and what the server answered. The other modes
// read the whole body first; 'stream' forwards it as it arrives (the server stores as it goes), and
// cut() breaks such streams in the middle.
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync, inflateRawSync } from 'node:zlib';

export type ProxyMode = 'pass' | 'fail500' | 'store-then-500' | 'hang' | 'stream' | 'limit';

export interface ProxiedRequest {
  entries: number;
  /** Entries per gzip member (the agent's chunks; one member per chunk). */
  chunks: number[];
  bytes: number;
  status: number;
  accepted?: number;
  duplicates?: number;
}

export class ChaosProxy {
  mode: ProxyMode = 'pass';
  /** 'limit' mode: a front end that answers 413 to a body of more entries than this. */
  maxEntries = Infinity;
  /** Delay before answering, after forwarding (widens the window for a kill -9 mid-request). */
  delayMs = 0;
  readonly requests: ProxiedRequest[] = [];
  inFlight = 0;
  /** Bytes of request body forwarded in 'stream' mode so far. */
  streamedBytes = 0;
  private readonly upstreams = new Set<ClientRequest>();
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

  /** Breaks every open connection in the middle (both sides): a network failure mid-stream. */
  cut(): void {
    for (const u of this.upstreams) u.destroy();
    for (const s of this.sockets) s.destroy();
  }

  private stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: ProxiedRequest = { entries: 0, chunks: [], bytes: 0, status: 0 };
    this.requests.push(record);
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'content-encoding', 'transfer-encoding'])
      if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
    return new Promise<void>((resolve) => {
      const up = httpRequest(`${this.target}${req.url ?? '/'}`, { method: req.method, headers });
      this.upstreams.add(up);
      const done = () => {
        this.upstreams.delete(up);
        resolve();
      };
      up.on('response', (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(record.status, answer.headers);
        let text = '';
        answer.on('data', (c: Buffer) => (text += c.toString()));
        answer.pipe(res);
        answer.on('end', () => {
          if (record.status === 200) {
            const r = JSON.parse(text) as { accepted: number; duplicates: number };
            record.accepted = r.accepted;
            record.duplicates = r.duplicates;
          }
          done();
        });
        answer.on('error', done);
      });
      up.on('error', () => {
        req.destroy();
        res.destroy();
        done();
      });
      req.on('data', (c: Buffer) => {
        record.bytes += c.length;
        this.streamedBytes += c.length;
      });
      req.on('error', () => up.destroy());
      req.pipe(up);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    if (this.mode === 'stream') {
      await this.stream(req, res);
      this.inFlight -= 1;
      return;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const plain = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      const lines = (b: Buffer) => b.toString('utf8').split('\n').filter(Boolean).length;
      const record: ProxiedRequest = {
        entries: lines(plain),
        chunks: req.headers['content-encoding'] === 'gzip' ? gzipMembers(body).map(lines) : [],
        bytes: plain.length,
        status: 0,
      };
      this.requests.push(record);
      const mode = this.mode;
      if (mode === 'hang') return; // never answered; the socket is destroyed by the client or close()
      if (mode === 'limit' && record.entries > this.maxEntries) {
        record.status = 413;
        res.writeHead(413, { 'content-type': 'text/plain' }).end('request entity too large');
        return;
      }
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
    for (const u of this.upstreams) u.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The decompressed members of a multi-member gzip body, each on its own. */
export function gzipMembers(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p + 10 <= buf.length) {
    const flags = buf[p + 3]!;
    let q = p + 10;
    if (flags & 4) q += 2 + buf.readUInt16LE(q); // FEXTRA
    if (flags & 8) while (buf[q++] !== 0); // FNAME
    if (flags & 16) while (buf[q++] !== 0); // FCOMMENT
    if (flags & 2) q += 2; // FHCRC
    const r = inflateRawSync(buf.subarray(q), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    out.push(r.buffer);
    p = q + r.engine.bytesWritten + 8; // the deflate data, then CRC32 and ISIZE
  }
  return out;
}

// Runs the built `vmj` (cli/bin/vmj.cjs → dist/cli) as a child process, piped or through a
// pseudo-terminal of a fixed size (util-linux `script`, no native module), and a TCP proxy whose
// connections can be cut mid-stream.
import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer, type Server, Socket } from 'node:net';
import { join } from 'node:path';

export const VMJ = join(__dirname, '..', '..', 'cli', 'bin', 'vmj.cjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface VmjProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<RunResult>;
}

/** Starts `vmj args…` with stdin closed and stdout/stderr piped. */
export function startVmj(args: string[], env: NodeJS.ProcessEnv): VmjProcess {
  const child = spawn(process.execPath, [VMJ, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function vmj(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return startVmj(args, env).done;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `vmj args…` on a pseudo-terminal of 80×24 (stdin, stdout and stderr are the terminal); the
 * output is what the terminal received (stdout and stderr interleaved), the code is vmj's; `input` is
 * typed after a moment. Killed after 60 s (a prompt nobody answers).
 */
export function vmjOnTty(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  const cmd = `stty cols 80 rows 24; exec ${quote(process.execPath)} ${quote(VMJ)} ${args.map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Typed input once the prompt had time to appear; stdin stays open (an EOF would reach vmj as ^D).
  if (input) setTimeout(() => child.stdin.write(input), 1500);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * A TCP proxy to a URL's host and port: cut() drops every open connection and keeps listening; kill()
 * also stops listening (clients get "connection refused") until revive() listens on the same port.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server;
  port = 0;

  private constructor(private readonly target: URL) {
    this.server = this.makeServer();
  }

  static async start(targetUrl: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(new URL(targetUrl));
    await proxy.listen();
    return proxy;
  }

  private makeServer(): Server {
    return createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  private async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async kill(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  async revive(): Promise<void> {
    this.server = this.makeServer();
    await this.listen();
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.kill();
    else this.cut();
  }
}

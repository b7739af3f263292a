import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { connectionInfo, type TlsAcceptor, type TlsStream } from '@proxy/core';

/** Every child we start, so afterAll can kill what is left. */
const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `openssl s_client` (or any openssl command) to completion with `input` on stdin, bounded by `timeoutMs`. */
export function runOpenssl(args: string[], input: (stdin: NodeJS.WritableStream, stdout: () => string) => void, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.stdin.on('error', () => {});
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      children.delete(p);
      resolve({ code, stdout, stderr });
    });
    input(p.stdin, () => stdout);
  });
}

/** Starts `openssl s_server` on a free port and resolves once it listens. */
export function startSServer(args: string[]): Promise<{ port: number; proc: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['s_server', '-accept', '0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(p);
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /ACCEPT\s+\S*?:(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), proc: p, output: () => out });
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => {
      children.delete(p);
      reject(new Error(`s_server exited ${code}: ${out}`));
    });
  });
}

/** A TCP listener whose connections go through `acceptor`; each stream is handed to `onStream`. */
export function listenWith(acceptor: () => TlsAcceptor, onStream: (s: TlsStream) => void, onError: (e: Error) => void = () => {}): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((sock: Socket) => {
      acceptor()
        .accept(sock, connectionInfo(sock))
        .then(onStream, onError);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

export function tcpConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads a stream to its end (or until `until` matches), bounded. */
export function readUntil(stream: NodeJS.ReadableStream, until: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(buf.slice(0, 300))}`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(buf);
    };
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      if (until.test(buf)) done();
    });
    stream.on('end', done);
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

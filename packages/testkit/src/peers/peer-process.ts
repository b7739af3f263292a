import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A peer program (openssl, gnutls, curl, a backend's bin) running in its own process, with
 * its output collected, a readiness wait, a deadline and a kill that always happens: every
 * peer is tracked and killed by `killAllPeers()` (call it in afterAll) and at process exit.
 */
export class PeerProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners = new Set<() => void>();

  constructor(readonly command: string, readonly args: readonly string[], options: SpawnPeerOptions = {}) {
    this.child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
    live.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
      this.notify();
    });
    // A peer that exits before reading its stdin makes our writes fail with EPIPE; that is its business.
    this.child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.stderr += `\nspawn ${command} failed: ${err.message}`;
        live.delete(this);
        this.notify();
        resolve({ code: 127, signal: null });
      });
      this.child.once('close', (code, signal) => {
        live.delete(this);
        this.notify();
        resolve({ code, signal });
      });
    });
    if (options.stdin !== undefined) {
      this.child.stdin!.end(options.stdin);
    }
  }

  /** stdout and stderr together, for matching and for failure messages. */
  get output(): string {
    return `${this.stdout}${this.stderr}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && live.has(this);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves with the first match of `pattern` in the output; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 5000, where: 'stdout' | 'stderr' | 'both' = 'both'): Promise<RegExpMatchArray> {
    const text = (): string => (where === 'stdout' ? this.stdout : where === 'stderr' ? this.stderr : this.output);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = text().match(pattern);
        if (m) {
          done();
          resolve(m);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.describe()} exited before printing ${pattern}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.describe()} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves with the exit status; kills the peer and rejects after `timeoutMs`. */
  async waitForExit(timeoutMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void this.kill();
        reject(new Error(`${this.describe()} did not exit within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  write(data: string | Buffer): void {
    this.child.stdin!.write(data);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  /** SIGTERM, then SIGKILL if it lingers; resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const hard = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await this.exited;
    clearTimeout(hard);
  }

  /** The output's tail, for error messages that stay readable. */
  tail(chars = 2000): string {
    const out = this.output;
    return out.length > chars ? `...${out.slice(-chars)}` : out;
  }

  describe(): string {
    return `${this.command} ${this.args.join(' ')}`;
  }
}

export interface SpawnPeerOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to the peer's stdin, which is then closed. Leave undefined to keep stdin open. */
  stdin?: string | Buffer;
}

const live = new Set<PeerProcess>();
process.once('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

export function spawnPeer(command: string, args: readonly string[], options?: SpawnPeerOptions): PeerProcess {
  return new PeerProcess(command, args, options);
}

/**
 * Spawns a long-running peer and waits until it prints `ready` (its listening line); a peer
 * that exits or stays silent is killed before the error is thrown.
 */
export async function startPeer(
  command: string, args: readonly string[], ready: RegExp, readyTimeoutMs: number, where: 'stdout' | 'stderr' | 'both' = 'both',
): Promise<{ process: PeerProcess; match: RegExpMatchArray }> {
  const p = spawnPeer(command, args);
  try {
    return { process: p, match: await p.waitFor(ready, readyTimeoutMs, where) };
  } catch (err) {
    await p.kill();
    throw err;
  }
}

/** Kills every peer this process started and still running. */
export async function killAllPeers(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

/** Runs a peer to completion: output and exit code, killed after `timeoutMs`. */
export async function runPeer(
  command: string, args: readonly string[], options: SpawnPeerOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; output: string }> {
  const p = spawnPeer(command, args, { ...options, stdin: options.stdin ?? '' });
  const { code } = await p.waitForExit(options.timeoutMs ?? 5000);
  return { code, stdout: p.stdout, stderr: p.stderr, output: p.output };
}

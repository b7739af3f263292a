import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkBackend, runCheckBackend, scanTlsBackends } from '../src/tools/check-backend.js';

/** The compiled bin; CI builds before it tests. */
const BIN = fileURLToPath(new URL('../dist/bin/check-backend.js', import.meta.url));

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempRoot(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'proxy-check-backend-'));
  temps.push(dir);
  return dir;
}

function writePackage(dir: string, manifest: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.0.0', ...manifest }, null, 2));
  return dir;
}

const BACKENDS = {
  '@proxy/tls-openssl': 'openssl',
  '@proxy/tls-boring': 'boringssl',
  '@proxy/tls-s2n': 's2n',
  '@proxy/tls-pure': 'pure',
} as const;
type BackendPackage = keyof typeof BACKENDS;

/** A stub backend package: only the manifest matters to the check. */
function writeBackend(dir: string, name: BackendPackage): string {
  return writePackage(dir, { name, proxy: { tlsBackend: BACKENDS[name] } });
}

/** Links `target` at `link` as pnpm does (relative symlinks), creating parent directories. */
function link(target: string, linkPath: string): void {
  mkdirSync(path.dirname(linkPath), { recursive: true });
  symlinkSync(path.relative(path.dirname(linkPath), target), linkPath, 'dir');
}

/** Runs the compiled bin in `cwd` and resolves with its exit code and output. */
function runBin(cwd: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function captured(): { out: string[]; err: string[]; output: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

describe('proxy-check-backend with a hoisted (plain directory) layout', () => {
  /** two-app → @proxy/tls-openssl directly, and my-lib → @proxy/tls-boring. */
  function twoBackendsApp(): string {
    const app = writePackage(path.join(tempRoot(), 'two-app'), {
      name: 'two-app',
      dependencies: { '@proxy/core': '*', '@proxy/tls-openssl': '*', 'my-lib': '*' },
    });
    const modules = path.join(app, 'node_modules');
    writePackage(path.join(modules, '@proxy/core'), { name: '@proxy/core' });
    writeBackend(path.join(modules, '@proxy/tls-openssl'), '@proxy/tls-openssl');
    writePackage(path.join(modules, 'my-lib'), { name: 'my-lib', dependencies: { '@proxy/tls-boring': '^1.0.0' } });
    writeBackend(path.join(modules, '@proxy/tls-boring'), '@proxy/tls-boring');
    return app;
  }

  it('fails with two backends, naming both and the chain that pulls each in (compiled bin)', async () => {
    const app = twoBackendsApp();
    const { code, stdout, stderr } = await runBin(app);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('two-app pulls in 2 TLS backends');
    expect(stderr).toContain('@proxy/tls-boring via my-lib > @proxy/tls-boring (boringssl)');
    expect(stderr).toContain('@proxy/tls-openssl via @proxy/tls-openssl (openssl)');
  });

  it('passes with exactly one backend and prints which (compiled bin)', async () => {
    const app = writePackage(path.join(tempRoot(), 'one-app'), {
      name: 'one-app',
      dependencies: { '@proxy/tls-pure': '*' },
      devDependencies: { '@proxy/tls-openssl': '*' },
    });
    writeBackend(path.join(app, 'node_modules/@proxy/tls-pure'), '@proxy/tls-pure');
    // Installed (devDependency) but not shipped: must not count.
    writeBackend(path.join(app, 'node_modules/@proxy/tls-openssl'), '@proxy/tls-openssl');
    const { code, stdout, stderr } = await runBin(app);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'proxy-check-backend: one-app uses @proxy/tls-pure\n', stderr: '' });
  });

  it('fails with no backend, and passes when the app opts out in package.json or with --allow-none', () => {
    const root = tempRoot();
    const bare = writePackage(path.join(root, 'bare-app'), { name: 'bare-app', dependencies: { '@proxy/core': '*' } });
    writePackage(path.join(bare, 'node_modules/@proxy/core'), { name: '@proxy/core' });

    const failing = captured();
    expect(runCheckBackend([], bare, failing.output)).toBe(1);
    expect(failing.out).toEqual([]);
    expect(failing.err.join('\n')).toMatch(/bare-app depends on no TLS backend/);
    expect(failing.err.join('\n')).toContain('allowNoBackend');

    const flagged = captured();
    expect(runCheckBackend(['--allow-none'], bare, flagged.output)).toBe(0);
    expect(flagged.out).toEqual(['proxy-check-backend: bare-app uses no TLS backend (allowed by --allow-none)']);

    const optedOut = writePackage(path.join(root, 'plain-app'), { name: 'plain-app', proxy: { allowNoBackend: true } });
    const result = checkBackend(optedOut);
    expect(result.ok).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(result.lines[0]).toContain('plain-app uses no TLS backend');
  });

  it('ignores devDependencies, tolerates missing optional dependencies, and warns about missing required ones', () => {
    const app = writePackage(path.join(tempRoot(), 'dev-app'), { name: 'dev-app', dependencies: { lib: '*' }, optionalDependencies: { 'not-installed': '*' } });
    writePackage(path.join(app, 'node_modules/lib'), {
      name: 'lib',
      dependencies: { '@proxy/tls-s2n': '*', gone: '*' },
      devDependencies: { '@proxy/tls-openssl': '*' },
    });
    writeBackend(path.join(app, 'node_modules/@proxy/tls-s2n'), '@proxy/tls-s2n');
    writeBackend(path.join(app, 'node_modules/@proxy/tls-openssl'), '@proxy/tls-openssl');
    const result = checkBackend(app);
    expect(result.ok).toBe(true);
    expect(result.lines).toEqual(['proxy-check-backend: dev-app uses @proxy/tls-s2n']);
    expect(result.warnings).toEqual([
      'proxy-check-backend: warning: gone (required by lib) is not installed; the check cannot see its dependencies (run pnpm install)',
    ]);
  });
});

describe('proxy-check-backend with a pnpm (symlinked) layout', () => {
  /**
   * workspace/
   *   node_modules/.pnpm/<pkg>@<v>/node_modules/<pkg>   real package directories
   *   node_modules/.pnpm/<pkg>@<v>/node_modules/<dep>   symlinks to their dependencies
   *   apps/web/node_modules/<dep>                       symlinks to the store
   */
  function pnpmWorkspace(appDeps: Record<string, string>): { root: string; app: string; store: (name: string, manifest: Record<string, unknown>, deps?: string[]) => string } {
    const root = tempRoot();
    const app = writePackage(path.join(root, 'apps/web'), { name: '@acme/web', dependencies: appDeps });
    const modulesDir = (name: string): string => path.join(root, 'node_modules/.pnpm', `${name.replace('/', '+')}@1.0.0`, 'node_modules');
    const store = (name: string, manifest: Record<string, unknown>, deps: string[] = []): string => {
      const dir = writePackage(path.join(modulesDir(name), name), { name, ...manifest });
      for (const dep of deps) link(path.join(modulesDir(dep), dep), path.join(modulesDir(name), dep));
      return dir;
    };
    return { root, app, store };
  }

  it('finds a backend reached only through transitive dependencies, with its chain', async () => {
    const { app, store } = pnpmWorkspace({ 'web-framework': '*' });
    store('@proxy/tls-boring', { proxy: { tlsBackend: 'boringssl' } });
    store('tls-glue', { peerDependencies: { '@proxy/tls-boring': '*' } }, ['@proxy/tls-boring']);
    const framework = store('web-framework', { dependencies: { 'tls-glue': '*' } }, ['tls-glue']);
    link(framework, path.join(app, 'node_modules/web-framework'));

    const scan = scanTlsBackends(app);
    expect(scan.backends).toHaveLength(1);
    expect(scan.backends[0]).toMatchObject({
      packageName: '@proxy/tls-boring',
      backend: 'boringssl',
      chains: [['web-framework', 'tls-glue', '@proxy/tls-boring']],
    });
    const { code, stdout } = await runBin(app);
    expect(code).toBe(0);
    expect(stdout).toBe('proxy-check-backend: @acme/web uses @proxy/tls-boring\n');
  });

  it('fails when a symlinked dependency pulls in a second backend, naming both chains', () => {
    const { root, app, store } = pnpmWorkspace({ '@proxy/tls-openssl': 'workspace:*', 'my-lib': '*' });
    // The workspace backend is linked straight from the app, as pnpm links workspace packages.
    const openssl = writeBackend(path.join(root, 'packages/tls-openssl'), '@proxy/tls-openssl');
    link(openssl, path.join(app, 'node_modules/@proxy/tls-openssl'));
    store('@proxy/tls-s2n', { proxy: { tlsBackend: 's2n' } });
    const lib = store('my-lib', { dependencies: { '@proxy/tls-s2n': '*' } }, ['@proxy/tls-s2n']);
    link(lib, path.join(app, 'node_modules/my-lib'));

    const result = checkBackend(app);
    expect(result.ok).toBe(false);
    expect(result.exitCode).toBe(1);
    const text = result.lines.join('\n');
    expect(text).toContain('@acme/web pulls in 2 TLS backends');
    expect(text).toContain('@proxy/tls-openssl via @proxy/tls-openssl (openssl)');
    expect(text).toContain('@proxy/tls-s2n via my-lib > @proxy/tls-s2n (s2n)');
  });
});

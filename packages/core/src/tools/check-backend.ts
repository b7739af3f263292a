import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors/index.js';

/**
 * `proxy-check-backend`: the build-time third of "exactly one TLS backend per app". It walks
 * what an app ships (dependencies and optionalDependencies, then those of every package reached,
 * plus their peerDependencies; never devDependencies) the way Node resolves them, so it sees
 * the same packages the app will load, whatever the layout (hoisted, or pnpm's symlinks).
 */

/** The package.json fields this check reads. */
interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  proxy?: { tlsBackend?: unknown; allowNoBackend?: unknown };
}

/** One TLS backend package found in an app's dependency closure. */
export interface BackendInApp {
  /** The package's name, e.g. "@proxy/tls-boring". */
  packageName: string;
  /** Its `"proxy": { "tlsBackend" }`, e.g. "boringssl". */
  backend: string;
  /** Real directories it was found in (more than one when several copies are installed). */
  dirs: string[];
  /**
   * Dependency chains from the app that pull it in, shortest first: each a list of names from
   * the app's own dependency down to the backend ([] when the app itself is the backend).
   */
  chains: string[][];
}

export interface MissingDependency {
  name: string;
  /** Who requires it, from the app down ([] for the app itself). */
  requiredBy: string[];
}

export interface BackendScan {
  appName: string;
  appDir: string;
  /** `"proxy": { "allowNoBackend": true }` in the app's package.json. */
  allowNoBackend: boolean;
  backends: BackendInApp[];
  /** Required dependencies that are not installed: the scan may be incomplete. */
  missing: MissingDependency[];
}

/** How many chains to keep per backend: enough to name who pulls it in without flooding the log. */
const MAX_CHAINS = 5;

/** Lists the TLS backend packages in the dependency closure of the package in `appDir`. */
export function scanTlsBackends(appDir: string): BackendScan {
  const rootDir = realpathSync(path.resolve(appDir));
  const root = readManifest(rootDir);
  const appName = root.name ?? path.basename(rootDir);
  const backends = new Map<string, BackendInApp>();
  const backendByDir = new Map<string, BackendInApp>();
  const missing: MissingDependency[] = [];
  const visited = new Set<string>([rootDir]);

  const noteBackend = (dir: string, manifest: Manifest, fallbackName: string, chain: string[]): void => {
    const backend = manifest.proxy?.tlsBackend;
    if (typeof backend !== 'string') return;
    const packageName = manifest.name ?? fallbackName;
    let found = backends.get(packageName);
    if (!found) {
      found = { packageName, backend, dirs: [], chains: [] };
      backends.set(packageName, found);
    }
    found.dirs.push(dir);
    found.chains.push(chain);
    backendByDir.set(dir, found);
  };
  noteBackend(rootDir, root, appName, []);

  // Breadth first, so the chain recorded first for each package is a shortest one.
  let level: Array<{ dir: string; manifest: Manifest; chain: string[] }> = [{ dir: rootDir, manifest: root, chain: [] }];
  while (level.length > 0) {
    const next: typeof level = [];
    for (const { dir, manifest, chain } of level) {
      const isRoot = chain.length === 0;
      for (const [name, required] of shippedDependencies(manifest, isRoot)) {
        const depDir = resolvePackageDir(name, dir);
        const depChain = [...chain, name];
        if (depDir === undefined) {
          if (required) missing.push({ name, requiredBy: chain });
          continue;
        }
        if (visited.has(depDir)) {
          // Already walked; still worth naming another top-level dependency that pulls a backend in.
          const backend = backendByDir.get(depDir);
          if (backend && backend.chains.length < MAX_CHAINS && !backend.chains.some((c) => c[0] === depChain[0])) {
            backend.chains.push(depChain);
          }
          continue;
        }
        visited.add(depDir);
        const depManifest = readManifest(depDir);
        noteBackend(depDir, depManifest, name, depChain);
        next.push({ dir: depDir, manifest: depManifest, chain: depChain });
      }
    }
    level = next;
  }

  return {
    appName,
    appDir: rootDir,
    allowNoBackend: root.proxy?.allowNoBackend === true,
    backends: [...backends.values()].sort((a, b) => a.packageName.localeCompare(b.packageName)),
    missing,
  };
}

/**
 * What ships with a package: dependencies and optionalDependencies, plus, below the app,
 * peerDependencies (the dependent's install provides them). `required` is false for optional and
 * peer dependencies, which may legitimately be absent.
 */
function shippedDependencies(manifest: Manifest, isRoot: boolean): Array<[string, boolean]> {
  const deps = new Map<string, boolean>();
  for (const name of Object.keys(manifest.dependencies ?? {})) deps.set(name, true);
  for (const name of Object.keys(manifest.optionalDependencies ?? {})) deps.set(name, false);
  if (!isRoot) {
    for (const name of Object.keys(manifest.peerDependencies ?? {})) if (!deps.has(name)) deps.set(name, false);
  }
  return [...deps];
}

/**
 * Node's lookup of a bare package name from a package's own directory: `node_modules/<name>` in
 * it and each ancestor (skipping directories that are themselves `node_modules`), then the real
 * path, so pnpm's symlinked layout resolves the way Node will resolve it at run time.
 */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'package.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { file, cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed;
  } catch (error) {
    throw new ConfigError(`${file} is not valid package.json: ${(error as Error).message}`, { file, cause: error });
  }
}

export interface BackendCheck {
  ok: boolean;
  /** The process exit code the bin uses: 0 when ok, 1 otherwise. */
  exitCode: 0 | 1;
  /** Lines for stdout (ok) or stderr (not ok). */
  lines: string[];
  /** Warnings for stderr either way (dependencies that are not installed). */
  warnings: string[];
  scan: BackendScan;
}

const BACKEND_PACKAGES = '@proxy/tls-openssl, @proxy/tls-boring, @proxy/tls-s2n or @proxy/tls-pure';
const PREFIX = 'proxy-check-backend:';

function formatChain(chain: string[]): string {
  return chain.length === 0 ? '(the app itself)' : chain.join(' > ');
}

/** Checks that the app in `appDir` ships exactly one TLS backend (or none, when it opted out). */
export function checkBackend(appDir: string, options: { allowNone?: boolean } = {}): BackendCheck {
  const scan = scanTlsBackends(appDir);
  const { appName, backends } = scan;
  const warnings = scan.missing.map(
    (m) =>
      `${PREFIX} warning: ${m.name}${m.requiredBy.length > 0 ? ` (required by ${m.requiredBy.join(' > ')})` : ''} is not installed; ` +
      'the check cannot see its dependencies (run pnpm install)',
  );
  const result = (ok: boolean, lines: string[]): BackendCheck => ({ ok, exitCode: ok ? 0 : 1, lines, warnings, scan });

  if (backends.length === 1) {
    return result(true, [`${PREFIX} ${appName} uses ${backends[0]!.packageName}`]);
  }
  if (backends.length > 1) {
    const lines = [`${PREFIX} ${appName} pulls in ${backends.length} TLS backends; an app must use exactly one:`];
    for (const backend of backends) {
      for (const chain of backend.chains) {
        lines.push(`  ${backend.packageName} via ${formatChain(chain)} (${backend.backend})`);
      }
    }
    lines.push(`${PREFIX} keep one backend: remove the others from ${appName}'s dependencies, or from the packages that pull them in.`);
    return result(false, lines);
  }
  if (options.allowNone) return result(true, [`${PREFIX} ${appName} uses no TLS backend (allowed by --allow-none)`]);
  if (scan.allowNoBackend) {
    return result(true, [`${PREFIX} ${appName} uses no TLS backend (allowed by "proxy": { "allowNoBackend": true })`]);
  }
  return result(false, [
    `${PREFIX} ${appName} depends on no TLS backend. Add exactly one of ${BACKEND_PACKAGES} to its dependencies;`,
    `${PREFIX} an app that never uses TLS can opt out with "proxy": { "allowNoBackend": true } in its package.json, or --allow-none.`,
  ]);
}

const USAGE = `usage: proxy-check-backend [--allow-none] [app-dir]

Checks that the app in app-dir (default: the current directory) ships exactly one @proxy TLS
backend, following dependencies and optionalDependencies through node_modules.
  --allow-none   succeed when the app has no backend at all (also: "proxy": { "allowNoBackend": true })`;

export interface CheckBackendOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CheckBackendOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The bin: parses `argv` (without node and the script), runs the check, prints, returns the exit code. */
export function runCheckBackend(argv: readonly string[], cwd: string, output: CheckBackendOutput = processOutput): number {
  let allowNone = false;
  let dir: string | undefined;
  for (const arg of argv) {
    if (arg === '--allow-none') allowNone = true;
    else if (arg === '--help' || arg === '-h') {
      output.out(USAGE);
      return 0;
    } else if (arg.startsWith('-') || dir !== undefined) {
      output.err(`${PREFIX} unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    } else dir = arg;
  }
  try {
    const check = checkBackend(path.resolve(cwd, dir ?? '.'), { allowNone });
    for (const warning of check.warnings) output.err(warning);
    for (const line of check.lines) {
      if (check.ok) output.out(line);
      else output.err(line);
    }
    return check.exitCode;
  } catch (error) {
    output.err(`${PREFIX} ${(error as Error).message}`);
    return 1;
  }
}

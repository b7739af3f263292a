// What is measured: each figure, its subjects, its Node baseline, and the targets.
// Subject ids: gw-<backend> (every built gateway), node-proxy, node-h2-proxy, node-server, nginx.

export const GW = 'gateways'; // placeholder for every gateway subject

const hsVariant = (cert, ver) => ({
  id: `hs-${cert}-${ver === 'TLSv1.3' ? 'tls13' : 'tls12'}`,
  title: `new TLS handshakes, ${cert === 'ecdsa' ? 'ECDSA P-256' : 'RSA-2048'}, ${ver === 'TLSv1.3' ? 'TLS 1.3' : 'TLS 1.2'}`,
  kind: 'hs',
  unit: 'hs/s',
  perUnit: 'hs/CPU-s',
  phase: { cert, min: ver, max: ver, tickets: false },
  // node-proxy once (ECDSA, TLS 1.3): separates the cost of proxying the one request from the handshake
  subjects: cert === 'ecdsa' && ver === 'TLSv1.3' ? [GW, 'node-server', 'node-proxy', 'nginx'] : [GW, 'node-server', 'nginx'],
  baseline: 'node-server',
});

// ECDSA certificate, TLS 1.2 and 1.3 offered, no tickets: every figure but the handshake ones.
const PHASE = { cert: 'ecdsa', min: 'TLSv1.2', max: 'TLSv1.3', tickets: false };

const bulkVariant = (cipher, name) => ({
  id: `bulk-${cipher}`,
  title: `bulk 1 MiB GET, TLS 1.3 ${name}`,
  kind: 'bulk',
  cipher,
  unit: 'MB/s',
  perUnit: 'MB/CPU-s',
  phase: PHASE,
  subjects: [GW, 'node-proxy', 'nginx'],
  baseline: 'node-proxy',
});

// Latency at a fixed offered load (constant rate, measured from each request's intended send
// time: loads/rate-client.mjs), for the keep-alive and h2 request figures. Reported, no target.
const latVariant = (proto, rate) => ({
  id: `lat-${proto}-${rate}`,
  title: `latency at a constant ${rate.toLocaleString('en-US')} req/s, ${proto === 'ka' ? 'keep-alive HTTPS/1.1, 32 conns' : 'h2, 8 conns'} (from the intended send time)`,
  kind: 'lat',
  mode: proto === 'ka' ? 'h1' : 'h2',
  rate,
  conns: proto === 'ka' ? 32 : 8,
  unit: 'ms',
  perUnit: null,
  lowerIsBetter: true,
  phase: PHASE,
  subjects: proto === 'ka' ? [GW, 'node-proxy', 'node-server', 'nginx'] : [GW, 'node-h2-proxy', 'nginx'],
  baseline: proto === 'ka' ? 'node-proxy' : 'node-h2-proxy',
});

// Many concurrent connections at a modest total rate: CPU per request and RSS. Reported, no target.
const manyVariant = (proto, conns, rate) => ({
  id: `many-${proto}`,
  title: `${conns.toLocaleString('en-US')} ${proto === 'ka' ? 'keep-alive HTTPS/1.1' : 'h2'} connections at a constant ${rate.toLocaleString('en-US')} req/s in total`,
  kind: 'many',
  mode: proto === 'ka' ? 'h1' : 'h2',
  rate,
  conns,
  unit: 'CPU-us/req',
  perUnit: null,
  lowerIsBetter: true,
  phase: PHASE,
  subjects: proto === 'ka' ? [GW, 'node-proxy', 'nginx'] : [GW, 'node-h2-proxy', 'nginx'],
  baseline: proto === 'ka' ? 'node-proxy' : 'node-h2-proxy',
});

/** Every figure; the latency rates and the many-connections load can be changed from the command line. */
export function buildFigures({ latRates = [2000, 4000], manyConns = 2000, manyRate = 2000 } = {}) {
  const [ka, h2, ...rest] = FIXED;
  // the latency views right after the throughput figure they belong to (same order in the table and the SVG)
  return [ka, ...latRates.map((r) => latVariant('ka', r)), h2, ...latRates.map((r) => latVariant('h2', r)),
    manyVariant('ka', manyConns, manyRate), manyVariant('h2', manyConns, manyRate), ...rest];
}

const FIXED = [
  {
    id: 'ka',
    title: 'keep-alive HTTPS/1.1 requests (wrk, 100 B body)',
    kind: 'ka',
    unit: 'req/s',
    perUnit: 'req/CPU-s',
    phase: PHASE,
    subjects: [GW, 'node-proxy', 'node-server', 'nginx'],
    baseline: 'node-proxy',
  },
  {
    id: 'h2',
    title: 'h2 requests (h2load, 8 conns x 16 streams, 100 B body)',
    kind: 'h2',
    unit: 'req/s',
    perUnit: 'req/CPU-s',
    phase: PHASE,
    subjects: [GW, 'node-h2-proxy', 'nginx'],
    baseline: 'node-h2-proxy',
  },
  hsVariant('ecdsa', 'TLSv1.3'),
  hsVariant('ecdsa', 'TLSv1.2'),
  hsVariant('rsa', 'TLSv1.3'),
  hsVariant('rsa', 'TLSv1.2'),
  bulkVariant('aes', 'AES-128-GCM'),
  bulkVariant('chacha', 'ChaCha20-Poly1305'),
  {
    id: 'rss',
    title: 'RSS per idle TLS connection (1,000 connections, one request each)',
    kind: 'rss',
    unit: 'KiB/conn',
    perUnit: null,
    lowerIsBetter: true,
    phase: { ...PHASE, fresh: true },
    // Node's own https server: the floor of a Node TLSSocket (TLSWrap and OpenSSL's SSL) with no proxying.
    subjects: [GW, 'node-server', 'node-proxy', 'nginx'],
    baseline: 'node-proxy',
  },
];

export const FIGURES = buildFigures();

/**
 * Targets from the issue. Each compares a gateway's per-CPU-second figure (or raw value where
 * stated) with a reference subject. `backend` limits a target to one gateway backend.
 */
export const TARGETS = [
  // Issue 12, round two: the OpenSSL gateway per CPU-second against the Node baselines.
  { figure: 'ka', backend: 'openssl', ref: 'node-proxy', min: 2, text: 'keep-alive req/CPU-s >= 2.0x Node https proxy' },
  { figure: 'h2', backend: 'openssl', ref: 'node-h2-proxy', min: 2, text: 'h2 req/CPU-s >= 2.0x Node http2 proxy' },
  ...[['ecdsa', 'tls13', 'ECDSA, TLS 1.3'], ['ecdsa', 'tls12', 'ECDSA, TLS 1.2'], ['rsa', 'tls13', 'RSA, TLS 1.3'], ['rsa', 'tls12', 'RSA, TLS 1.2']].map(([key, version, label]) => (
    { figure: `hs-${key}-${version}`, backend: 'openssl', ref: 'node-server', min: 1, text: `new handshakes/CPU-s (${label}) >= 1.0x Node https server` })),
  { figure: 'bulk-aes', backend: 'openssl', ref: 'node-proxy', min: 1.2, text: '1 MiB bulk AES-GCM MB/CPU-s >= 1.2x Node https proxy' },
  { figure: 'bulk-chacha', backend: 'openssl', ref: 'node-proxy', min: 1.2, text: '1 MiB bulk ChaCha20 MB/CPU-s >= 1.2x Node https proxy' },
  { figure: 'rss', backend: 'openssl', absMax: 30, text: 'RSS per idle TLS connection <= 30 KiB' },
  // Issue 12, round two: the pure backend (pure provider).
  { figure: 'hs-ecdsa-tls13', backend: 'pure', ref: 'gw-openssl', min: 0.6, text: 'pure: ECDSA P-256 TLS 1.3 handshakes/CPU-s >= 0.6x OpenSSL gateway' },
  { figure: 'hs-rsa-tls13', backend: 'pure', ref: 'gw-openssl', min: 0.25, text: 'pure: RSA-2048 TLS 1.3 handshakes/CPU-s >= 0.25x OpenSSL gateway' },
  { figure: 'hs-rsa-tls12', backend: 'pure', ref: 'gw-openssl', min: 0.25, text: 'pure: RSA-2048 TLS 1.2 handshakes/CPU-s >= 0.25x OpenSSL gateway' },
  { figure: 'bulk-chacha', backend: 'pure', absMinCpu: 150, text: 'pure: ChaCha20 bulk >= 150 MB/CPU-s' },
  { figure: 'ka', backend: 'pure', ref: 'node-proxy', min: 1, text: 'pure: keep-alive req/CPU-s >= 1.0x Node https proxy' },
  { figure: 'h2', backend: 'pure', ref: 'node-h2-proxy', min: 1, text: 'pure: h2 req/CPU-s >= 1.0x Node http2 proxy' },
  { figure: 'bulk-aes', backend: 'pure-node', ref: 'gw-openssl', min: 0.7, text: 'pure, node:crypto provider: AES-GCM bulk MB/CPU-s >= 0.7x OpenSSL gateway' },
  { figure: 'bulk-chacha', backend: 'pure-node', ref: 'gw-openssl', min: 0.7, text: 'pure, node:crypto provider: ChaCha20 bulk MB/CPU-s >= 0.7x OpenSSL gateway' },
  ...['hs-ecdsa-tls13', 'hs-ecdsa-tls12', 'hs-rsa-tls13', 'hs-rsa-tls12'].map((figure) => (
    { figure, backend: 's2n', ref: 'gw-openssl', min: 1.2, text: `s2n: ${figure} handshakes/CPU-s >= 1.2x OpenSSL gateway` })),
  { figure: 'bulk-aes', backend: 's2n', ref: 'gw-openssl', min: 1.2, text: 's2n: AES-GCM bulk MB/CPU-s >= 1.2x OpenSSL gateway' },
  { figure: 'bulk-chacha', backend: 's2n', ref: 'gw-openssl', min: 1.2, text: 's2n: ChaCha20 bulk MB/CPU-s >= 1.2x OpenSSL gateway' },
  { figure: 'ka', backend: 's2n', ref: 'gw-openssl', min: 0.9, text: 's2n: keep-alive req/CPU-s >= 0.9x OpenSSL gateway' },
  { figure: 'h2', backend: 's2n', ref: 'gw-openssl', min: 0.9, text: 's2n: h2 req/CPU-s >= 0.9x OpenSSL gateway' },
  { figure: 'rss', backend: 's2n', ref: 'gw-openssl', maxRatio: 1.0, text: 's2n: RSS per idle connection <= 1.0x OpenSSL gateway' },
  { figure: 'hs-ecdsa-tls13', backend: 'boringssl', ref: 'gw-openssl', min: 1, text: 'boringssl: handshakes/CPU-s (ECDSA, TLS 1.3) >= 1.0x OpenSSL gateway' },
  { figure: 'hs-ecdsa-tls12', backend: 'boringssl', ref: 'gw-openssl', min: 1, text: 'boringssl: handshakes/CPU-s (ECDSA, TLS 1.2) >= 1.0x OpenSSL gateway' },
  { figure: 'hs-rsa-tls13', backend: 'boringssl', ref: 'gw-openssl', min: 1, text: 'boringssl: handshakes/CPU-s (RSA, TLS 1.3) >= 1.0x OpenSSL gateway' },
  { figure: 'hs-rsa-tls12', backend: 'boringssl', ref: 'gw-openssl', min: 1, text: 'boringssl: handshakes/CPU-s (RSA, TLS 1.2) >= 1.0x OpenSSL gateway' },
  { figure: 'bulk-aes', backend: 'boringssl', ref: 'gw-openssl', min: 1, text: 'boringssl: AES-GCM bulk MB/CPU-s >= 1.0x OpenSSL gateway' },
  { figure: 'bulk-chacha', backend: 'boringssl', ref: 'gw-openssl', min: 1, text: 'boringssl: ChaCha20 bulk MB/CPU-s >= 1.0x OpenSSL gateway' },
  { figure: 'ka', backend: 'boringssl', ref: 'gw-openssl', min: 0.9, text: 'boringssl: keep-alive req/CPU-s >= 0.9x OpenSSL gateway' },
  { figure: 'h2', backend: 'boringssl', ref: 'gw-openssl', min: 0.9, text: 'boringssl: h2 req/CPU-s >= 0.9x OpenSSL gateway' },
  { figure: 'rss', backend: 'boringssl', ref: 'gw-openssl', maxRatio: 1.0, text: 'boringssl: RSS per idle TLS connection <= 1.0x OpenSSL gateway' },
];

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureMatrixRecorder, renderFeatureMatrix } from '../src/index.js';

describe('feature matrix results', () => {
  it('keeps declaration order, lets a run replace a declaration, and writes to PROXY_CONFORMANCE_OUT', () => {
    const r = new FeatureMatrixRecorder({ backend: 'pure', packageName: '@proxy/tls-pure', library: 'TS', features: ['tls1.3'] });
    r.record({ area: 'alpn', name: 'h2', status: 'skipped', detail: 'not run' });
    r.record({ area: 'sni', name: 'other', status: 'unsupported' });
    r.record({ area: 'alpn', name: 'h2', status: 'pass' });
    expect(r.collect().cases.map((c) => `${c.name}:${c.status}`)).toEqual(['h2:pass', 'other:unsupported']);
    expect(r.write({})).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'proxy-fm-'));
    try {
      const file = r.write({ PROXY_CONFORMANCE_OUT: dir })!;
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ backend: 'pure', cases: [{ name: 'h2' }, { name: 'other' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders one column per backend and one line per case', () => {
    const row = (backend: string, status: 'pass' | 'fail') => ({
      backend, packageName: `@proxy/tls-${backend}`, library: backend, features: [], node: 'v20', date: '',
      cases: [{ area: 'alpn', name: 'h2', status }],
    });
    const md = renderFeatureMatrix([row('openssl', 'pass'), row('pure', 'fail')]);
    expect(md).toContain('| area | case | openssl (openssl) | pure (pure) |');
    expect(md).toContain('| alpn | h2 | yes | FAILS |');
  });
});

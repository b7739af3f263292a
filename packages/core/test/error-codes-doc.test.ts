// docs/errors.md lists every error code: each code literal in core's error classes (and the
// few raised elsewhere in core) must appear there, or in docs/limits.md for the limits.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_ALIASES, InvalidCertError, hasErrorCode } from '../src/index.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));

function codeLiterals(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const codes = new Set<string>();
  const code = "'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'";
  // Codes passed to ProxyError: super('X', ...), code: 'X', code ?? 'X', CODE = 'X', a ? 'X' : 'Y'.
  const patterns = [`super\\(\\s*${code}`, `code: ${code}`, `code \\?\\? ${code}`, `CODE = ${code}`, `new ProxyError\\(${code}`, `\\? ${code} : ${code}`];
  // In the error classes' own files, tables of codes too (TIMEOUT_CODES).
  if (file.includes(`${join('src', 'errors')}`)) patterns.push(`^\\s+\\w+: ${code},$`);
  for (const p of patterns) {
    for (const m of text.matchAll(new RegExp(p, 'gm'))) {
      for (const c of m.slice(1)) if (c && c.length > 1) codes.add(c);
    }
  }
  return [...codes];
}

describe('docs/errors.md', () => {
  const files = [
    ...readdirSync(join(src, 'errors')).filter((f) => f.endsWith('.ts')).map((f) => join(src, 'errors', f)),
    join(src, 'tools', 'tls-tool.ts'),
    join(src, 'upstream', 'connector.ts'),
    join(src, 'proxy', 'error-status.ts'),
    join(src, 'proxy', 'http-proxy.ts'),
  ].filter((f) => existsSync(f));
  const codes = [...new Set(files.flatMap(codeLiterals))].sort();
  const documented = ['errors.md', 'limits.md'].map((f) => join(docs, f)).filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')).join('\n');

  it('finds the codes (the scan itself works)', () => {
    expect(codes).toEqual(expect.arrayContaining(['TLS_INVALID_CERT', 'TLS_HANDSHAKE', 'UPSTREAM_CONNECT_TIMEOUT', 'CONFIG_INVALID', 'INTERNAL']));
  });

  it.each(codes)('lists %s', (code) => {
    expect(documented).toContain(`\`${code}\``);
  });

  it('follows the scheme: UPPER_SNAKE_CASE with an area prefix (or INTERNAL / NO_RESPONSE)', () => {
    for (const code of codes) expect(code, code).toMatch(/^(?:(?:TLS|HTTP|UPSTREAM|LIMIT|CONFIG)_[A-Z0-9_]+|INTERNAL|NO_RESPONSE)$/);
  });

  it('the InvalidCert alias: canonical code TLS_INVALID_CERT, the alias matches through hasErrorCode', () => {
    const e = new InvalidCertError('expired', 'x');
    expect(e.code).toBe('TLS_INVALID_CERT');
    expect(ERROR_CODE_ALIASES[InvalidCertError.ALIAS]).toBe(InvalidCertError.CODE);
    expect(hasErrorCode(e, 'InvalidCert')).toBe(true);
    expect(hasErrorCode(e, 'TLS_INVALID_CERT')).toBe(true);
    expect(hasErrorCode(new Error('x'), 'InvalidCert')).toBe(false);
    expect(documented).toContain('`InvalidCert`');
  });
});

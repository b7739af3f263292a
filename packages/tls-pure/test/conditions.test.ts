import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertDescription, TlsProtocolError } from '@proxy/core';
import { CONDITION_ALERTS, PeerMisbehaved, PureTlsProtocolError } from '../src/index.js';
import { fatal } from '../src/conditions.js';

const SRC = new URL('../src/', import.meta.url).pathname;
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('named protocol conditions (one table, one alert each)', () => {
  const alerts = new Set<number>(Object.values(AlertDescription));

  it('every condition maps to a real alert, or to none (close silently)', () => {
    for (const [name, alert] of Object.entries(CONDITION_ALERTS)) {
      expect(alert === undefined || alerts.has(alert), name).toBe(true);
      expect(PeerMisbehaved[name as PeerMisbehaved]).toBe(name);
    }
    expect(Object.keys(PeerMisbehaved).sort()).toEqual(Object.keys(CONDITION_ALERTS).sort());
  });

  it('fatal(condition) is a TlsProtocolError (TLS_PROTOCOL) carrying the condition and the table alert', () => {
    const e = fatal(PeerMisbehaved.DuplicateExtension, '10 in ClientHello');
    expect(e).toBeInstanceOf(TlsProtocolError);
    expect(e).toBeInstanceOf(PureTlsProtocolError);
    expect(e.code).toBe('TLS_PROTOCOL');
    expect(e.condition).toBe('DuplicateExtension');
    expect(e.alert).toBe(AlertDescription.illegal_parameter);
    expect(e.source).toBe('internal');
    const blamed = e.withSource('upstream');
    expect([blamed.condition, blamed.alert, blamed.source, blamed.detail]).toEqual(['DuplicateExtension', 47, 'upstream', '10 in ClientHello']);
  });

  it('every fatal() in src names a condition: no free-text alerts are left', () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bfatal\(([^)]{0,40})/g)) {
        if (!m[1]!.startsWith('PeerMisbehaved.') && !m[1]!.startsWith('condition: PeerMisbehaved')) offenders.push(`${file}: fatal(${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every condition in the table is raised somewhere in src (no dead names)', () => {
    const text = sources(SRC).map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(CONDITION_ALERTS).filter((c) => !text.includes(`PeerMisbehaved.${c}`));
    expect(unused).toEqual([]);
  });
});

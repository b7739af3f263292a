// The file-descriptor guard: its marks, and a pause and a resume driven by real descriptors
// (files opened and closed in this process), with stand-in listeners.
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FdGuard, limitCounters, type PausableListener } from '../src/index.js';

describe.skipIf(FdGuard.count() === undefined)('FdGuard', () => {
  it('pauses a quarter of the limit (at least 64) below it and resumes 1/16 lower', () => {
    expect(new FdGuard(1024)).toMatchObject({ pauseAt: 768, resumeAt: 704 });
    expect(new FdGuard(256)).toMatchObject({ pauseAt: 192, resumeAt: 176 });
  });

  it('pauses every registered listener past the mark, and resumes them once descriptors are closed', async () => {
    const baseline = FdGuard.count()!;
    // Marks 36 and 20 descriptors above what is open now.
    const guard = new FdGuard(baseline + 100);
    expect(guard.pauseAt).toBe(baseline + 36);
    const calls: string[] = [];
    const listener = (addr: string): PausableListener => ({
      addr, pauseAccepting: () => calls.push(`pause ${addr}`), resumeAccepting: () => calls.push(`resume ${addr}`),
    });
    guard.register(listener('a'));
    guard.register(listener('b'));
    const before = limitCounters.get('LIMIT_FILE_DESCRIPTORS');
    guard.accepted();
    expect(guard.paused).toBe(false);
    const files = Array.from({ length: 45 }, () => openSync('/dev/null', 'r'));
    try {
      // Descriptors opened elsewhere than by accepts are seen at the next periodic count (1 s).
      guard.accepted();
      expect(guard.paused).toBe(false);
      await new Promise((r) => setTimeout(r, 1050));
      guard.accepted();
      expect(guard.paused).toBe(true);
      expect(calls).toEqual(['pause a', 'pause b']);
      expect(limitCounters.get('LIMIT_FILE_DESCRIPTORS')).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(guard.paused).toBe(true); // still above the resume mark
    } finally {
      for (const f of files) closeSync(f);
    }
    await expect.poll(() => guard.paused, { timeout: 2000 }).toBe(false);
    expect(calls).toEqual(['pause a', 'pause b', 'resume a', 'resume b']);
    guard.unregister(listener('a'));
  });
});

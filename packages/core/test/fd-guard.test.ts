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

  // libuv meets EMFILE silently: a burst that overshoots the mark between two counts and then
  // stops must still be counted (the CI failure of the gateway's prlimit test).
  it('counts at the end of the interval a burst of accepts that stopped near the mark', async () => {
    const baseline = FdGuard.count()!;
    const guard = new FdGuard(baseline + 100);
    const calls: string[] = [];
    const l: PausableListener = { addr: 'a', pauseAccepting: () => calls.push('pause'), resumeAccepting: () => calls.push('resume') };
    guard.register(l);
    guard.accepted(); // the first count
    const files = Array.from({ length: 45 }, () => openSync('/dev/null', 'r'));
    try {
      // Near the mark by the estimate (within 1/16 of the limit), short of it, inside the 10 ms interval.
      for (let i = 0; i < 30; i++) guard.accepted();
      expect(guard.paused).toBe(false);
      await expect.poll(() => guard.paused, { timeout: 500, interval: 5 }).toBe(true);
      expect(calls).toEqual(['pause']);
    } finally {
      for (const f of files) closeSync(f);
    }
    await expect.poll(() => guard.paused, { timeout: 2000 }).toBe(false);
    guard.unregister(l);
  });

  it('counts at once when the estimate reaches the mark, and subtracts closed connections from it', () => {
    const baseline = FdGuard.count()!;
    const guard = new FdGuard(baseline + 100);
    const l: PausableListener = { addr: 'a', pauseAccepting: () => {}, resumeAccepting: () => {} };
    guard.register(l);
    guard.accepted();
    // Accepted and closed again: the estimate stays low, nothing is counted, nothing pauses.
    for (let i = 0; i < 100; i++) {
      guard.accepted();
      guard.closed();
    }
    expect(guard.paused).toBe(false);
    const files = Array.from({ length: 40 }, () => openSync('/dev/null', 'r'));
    try {
      for (let i = 0; i < 35 && !guard.paused; i++) guard.accepted();
      expect(guard.paused).toBe(false); // the estimate is one short of the mark
      guard.accepted();
      expect(guard.paused).toBe(true); // the estimate reached it: counted at once, and the files are real
    } finally {
      for (const f of files) closeSync(f);
      guard.unregister(l);
    }
  });
});

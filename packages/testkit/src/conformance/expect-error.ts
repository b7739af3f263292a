import { InvalidCertError, hasErrorCode, type InvalidCertReason } from '@proxy/core';
import { expect } from 'vitest';

/**
 * The one shape of a refused certificate on every backend: an InvalidCertError whose code is
 * TLS_INVALID_CERT (and still matches Pingora's `InvalidCert` alias) with the expected reason.
 */
export function expectInvalidCert(err: unknown, reason: InvalidCertReason): void {
  const e = err as (Error & { code?: string; reason?: string }) | undefined;
  expect(e, 'an InvalidCertError').toBeDefined();
  expect(e, `${e?.constructor?.name} ${e?.code} ${e?.message}`).toBeInstanceOf(InvalidCertError);
  expect(e!.code, e!.message).toBe(InvalidCertError.CODE);
  expect(hasErrorCode(e, InvalidCertError.ALIAS)).toBe(true);
  expect(e!.reason, e!.message).toBe(reason);
}

/** The same check on what a bin printed (ERROR_DETAIL). */
export function expectInvalidCertDetail(detail: { code: string; reason?: string } | undefined, reason: InvalidCertReason, context = ''): void {
  expect(detail, `an ERROR_DETAIL line ${context}`).toBeDefined();
  expect(detail!.code, context).toBe(InvalidCertError.CODE);
  expect(detail!.reason, context).toBe(reason);
}

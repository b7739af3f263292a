import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Conformance results as data, so that docs/feature-matrix.md is generated from what the
 * suite observed rather than written by hand. With PROXY_CONFORMANCE_OUT=<dir> set, each
 * backend's run writes `<dir>/<backend>.json`; without it nothing is written.
 */

export type CaseStatus = 'pass' | 'fail' | 'unsupported' | 'skipped' | 'known-issue';

export interface ConformanceCaseResult {
  area: string;
  name: string;
  status: CaseStatus;
  /** Why it failed, or why it was skipped or unsupported. */
  detail?: string;
  durationMs?: number;
}

export interface FeatureMatrixRow {
  backend: string;
  packageName: string;
  library: string;
  features: string[];
  node: string;
  date: string;
  cases: ConformanceCaseResult[];
}

export class FeatureMatrixRecorder {
  private readonly cases: ConformanceCaseResult[] = [];

  constructor(private readonly row: Omit<FeatureMatrixRow, 'cases' | 'date' | 'node'>) {}

  /** Records a case's result; a later result for the same case replaces the earlier one (kept in declaration order). */
  record(result: ConformanceCaseResult): void {
    const i = this.cases.findIndex((c) => c.area === result.area && c.name === result.name);
    if (i >= 0) this.cases[i] = result;
    else this.cases.push(result);
  }

  /** The row collected so far. */
  collect(): FeatureMatrixRow {
    return { ...this.row, node: process.version, date: new Date().toISOString(), cases: [...this.cases] };
  }

  /** Writes the row to PROXY_CONFORMANCE_OUT (when set); returns the file written. */
  write(env = process.env): string | undefined {
    const dir = env['PROXY_CONFORMANCE_OUT'];
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${this.row.backend}.json`);
    writeFileSync(file, `${JSON.stringify(this.collect(), null, 2)}\n`);
    return file;
  }
}

/** Renders rows (one per backend) as a markdown table: one line per case, one column per backend. */
export function renderFeatureMatrix(rows: readonly FeatureMatrixRow[]): string {
  const mark: Record<CaseStatus, string> = {
    pass: 'yes', fail: 'FAILS', unsupported: 'no (unsupported)', skipped: 'not run', 'known-issue': 'known issue',
  };
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const c of r.cases) {
      const k = `${c.area} | ${c.name}`;
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const header = `| area | case | ${rows.map((r) => `${r.backend} (${r.library})`).join(' | ')} |`;
  const rule = `|---|---|${rows.map(() => '---').join('|')}|`;
  const lines = keys.map((k) => {
    const cells = rows.map((r) => {
      const c = r.cases.find((x) => `${x.area} | ${x.name}` === k);
      return c ? mark[c.status] : '';
    });
    return `| ${k} | ${cells.join(' | ')} |`;
  });
  return [
    '# TLS backend feature matrix',
    '',
    'Generated from the conformance suite (`@proxy/testkit`) results; do not edit by hand.',
    '',
    header,
    rule,
    ...lines,
    '',
  ].join('\n');
}

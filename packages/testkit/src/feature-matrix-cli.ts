#!/usr/bin/env node
// Renders docs/feature-matrix.md from conformance results:
//   PROXY_CONFORMANCE_OUT=/tmp/conf pnpm -r test      (each backend writes /tmp/conf/<backend>.json)
//   node packages/testkit/dist/feature-matrix-cli.js /tmp/conf docs/feature-matrix.md
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFeatureMatrix, type FeatureMatrixRow } from './conformance/results.js';

const [dir = process.env['PROXY_CONFORMANCE_OUT'], out] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: feature-matrix-cli <results dir> [output.md]  (or set PROXY_CONFORMANCE_OUT)\n');
  process.exit(2);
}
// A fixed backend order keeps the table's columns stable between runs.
const order = ['openssl', 'boringssl', 's2n', 'pure'];
const rows = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as FeatureMatrixRow)
  .sort((a, b) => order.indexOf(a.backend) - order.indexOf(b.backend));
const markdown = renderFeatureMatrix(rows);
if (out) writeFileSync(out, markdown);
else process.stdout.write(markdown);

import type { TestProject } from 'vitest/node';
import { generatePkiFiles } from './pki.js';

/** One test PKI per run (testkit's plus this backend's extra leaves), shared by every test file. */
export default function setup(project: TestProject): void {
  project.provide('purePki', generatePkiFiles());
}

// The one place that splices generated code into a source file, shared by the field generators
// (gen-fe25519.mjs, gen-p256-field.mjs). The generated part runs from the line
// "// BEGIN GENERATED" to the line "// END GENERATED", both included in `generated`.
// With --check on the command line nothing is written: the process exits 1 when the file differs.
import { writeFileSync } from 'node:fs';

export function writeGeneratedSection(target, source, generated, script) {
  const begin = source.indexOf('// BEGIN GENERATED');
  const endMarker = '// END GENERATED\n';
  const end = source.indexOf(endMarker);
  if (begin < 0 || end < begin) throw new Error(`${target}: generated-code markers not found`);
  const updated = source.slice(0, begin) + generated + source.slice(end + endMarker.length);
  if (process.argv.includes('--check')) {
    if (updated !== source) {
      console.error(`${target} is out of date: run node tools/${script}`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, updated);
  }
}

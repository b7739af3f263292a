// Test certificates made with the openssl CLI: a CA, then ECDSA P-256 and RSA-2048 leaves for
// "localhost" / 127.0.0.1. Each cert file holds the leaf first, then the CA (a real chain).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function ossl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCerts(dir) {
  ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=bench-ca', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  const out = { ca: join(dir, 'ca.pem') };
  for (const [kind, keyArgs] of [
    ['ecdsa', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['rsa', ['-newkey', 'rsa:2048']],
  ]) {
    ossl(['req', '-new', ...keyArgs, '-nodes', '-subj', '/CN=localhost', '-keyout', `${kind}.key`, '-out', `${kind}.csr`], dir);
    ossl(['x509', '-req', '-in', `${kind}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-extfile', 'ext.cnf', '-out', `${kind}.leaf.pem`], dir);
    ossl(['pkcs8', '-topk8', '-nocrypt', '-in', `${kind}.key`, '-out', `${kind}.pk8.pem`], dir);
    execFileSync('sh', ['-c', `cat ${kind}.leaf.pem ca.pem > ${kind}.pem`], { cwd: dir });
    out[kind] = { cert: join(dir, `${kind}.pem`), key: join(dir, `${kind}.pk8.pem`) };
  }
  return out;
}

// The three plain-Node baselines (files under tools/bench/baselines/).
import { fileURLToPath } from 'node:url';
import { startProcess, waitPort } from '../proc.mjs';

const baseline = (f) => fileURLToPath(new URL(`../../baselines/${f}`, import.meta.url));

function nodeSubject(id, file, label, description, extraNodeArgs) {
  return {
    id,
    label,
    description,
    async start({ port, cert, key, min, max, tickets, upstreamPort, cpu }) {
      const args = [...extraNodeArgs, baseline(file), '--port', String(port), '--cert', cert, '--key', key,
        '--upstream', `127.0.0.1:${upstreamPort}`, '--min', min, '--max', max];
      if (tickets) args.push('--tickets');
      const p = startProcess(process.execPath, args, { cpu, name: id });
      await p.waitFor(/listening/);
      await waitPort(port);
      return p;
    },
  };
}

/** The three baselines; extraNodeArgs (from --node-args, e.g. --cpu-prof) go to each node process. */
export function nodeBaselines({ extraNodeArgs = [] } = {}) {
  return [
    nodeSubject('node-proxy', 'node-https-proxy.mjs', 'Node https proxy',
      'plain Node https.createServer + http.request keep-alive proxy (~40 lines)', extraNodeArgs),
    nodeSubject('node-h2-proxy', 'node-h2-proxy.mjs', 'Node h2 proxy',
      'plain Node http2.createSecureServer + http.request proxy (~40 lines)', extraNodeArgs),
    nodeSubject('node-server', 'node-https-server.mjs', 'Node https server',
      "Node's own https server answering by itself (no proxying)", extraNodeArgs),
  ];
}

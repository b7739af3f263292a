// The three plain-Node baselines (files under tools/bench/baselines/).
import { fileURLToPath } from 'node:url';
import { startProcess, waitPort } from '../proc.mjs';

let extraNodeArgs = [];
/** Extra node flags for the baseline processes too (e.g. --cpu-prof), set from --node-args. */
export function setBaselineNodeArgs(args) {
  extraNodeArgs = args;
}

const baseline = (f) => fileURLToPath(new URL(`../../baselines/${f}`, import.meta.url));

function nodeSubject(id, file, label, description) {
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

export const nodeHttpsProxy = nodeSubject('node-proxy', 'node-https-proxy.mjs', 'Node https proxy',
  'plain Node https.createServer + http.request keep-alive proxy (~40 lines)');
export const nodeH2Proxy = nodeSubject('node-h2-proxy', 'node-h2-proxy.mjs', 'Node h2 proxy',
  'plain Node http2.createSecureServer + http.request proxy (~40 lines)');
export const nodeHttpsServer = nodeSubject('node-server', 'node-https-server.mjs', 'Node https server',
  "Node's own https server answering by itself (no proxying)");

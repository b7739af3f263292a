import { TlsFeatureUnsupportedError, TlsSettings, tlsBackend } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { nodeTlsConnect } from '../peers/node-tls.js';
import { pqNodeBinary, pqNodeClient, pqNodeServer } from '../peers/pq-node.js';
import { BackendTestServer } from './backend-server.js';
import { backendConnect, clientOptions, exchange, type SuiteContext } from './context.js';

const HYBRID = 'X25519MLKEM768';

/**
 * Post-quantum key exchange: a backend that declares X25519MLKEM768 negotiates it by default,
 * as a listener and as a connector, with a Node 24 peer (OpenSSL 3.5) in its own process; a
 * classical-only client still gets x25519; `setGroups` with classical groups turns it off.
 * A backend without the group refuses settings that name it.
 */
export function pqCases(ctx: SuiteContext): void {
  ctx.area('post-quantum', 'post-quantum key exchange (X25519MLKEM768)', () => {
    const servers: BackendTestServer[] = [];
    afterAll(async () => {
      for (const s of servers) await s.close();
    });
    const start = async (settings: TlsSettings): Promise<BackendTestServer> => {
      const s = await BackendTestServer.start(settings);
      servers.push(s);
      return s;
    };
    const node = pqNodeBinary();
    const needNode = (): string => {
      if (!node) throw new Error('no Node with OpenSSL 3.5 found: run `bash tools/node-runtime.sh 24` (tools/test.sh does)');
      return node;
    };

    ctx.test('listener: a Node 24 client offering the hybrid gets X25519MLKEM768 by default', async () => {
      const pki = ctx.pki();
      const s = await start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
      const mark = s.mark();
      const r = await pqNodeClient(needNode(), s.port, pki.caPem, 'X25519MLKEM768:X25519');
      expect(r.group).toBe(HYBRID);
      const o = await s.outcomeAfter(mark);
      expect(o.ok && o.digest.group).toBe(HYBRID);
    }, ctx.ms(15_000), { requires: ['group-x25519mlkem768'] });

    ctx.test('listener: a classical-only client still gets x25519', async () => {
      const pki = ctx.pki();
      const s = await start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
      const mark = s.mark();
      const c = await nodeTlsConnect({ port: s.port, servername: 'localhost', ca: pki.caPem, ecdhCurve: 'X25519' });
      const o = await s.outcomeAfter(mark);
      c.socket.destroy();
      expect(o.ok && o.digest.group).toBe('x25519');
    }, ctx.ms(10_000), { requires: ['group-x25519mlkem768'] });

    ctx.test('listener: setGroups with classical groups turns the hybrid off', async () => {
      const pki = ctx.pki();
      const s = await start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setGroups(['x25519', 'secp256r1']));
      const mark = s.mark();
      const r = await pqNodeClient(needNode(), s.port, pki.caPem, 'X25519MLKEM768:X25519');
      expect(r.group).toBe('X25519');
      const o = await s.outcomeAfter(mark);
      expect(o.ok && o.digest.group).toBe('x25519');
    }, ctx.ms(15_000), { requires: ['group-x25519mlkem768'] });

    ctx.test('connector: a Node 24 server preferring the hybrid negotiates X25519MLKEM768 by default', async () => {
      const pki = ctx.pki();
      const srv = await pqNodeServer(needNode(), pki.serverEcdsa.chainPem, pki.serverEcdsa.keyPem, 'X25519MLKEM768:X25519');
      try {
        const stream = await backendConnect(srv.port, clientOptions(pki), 'localhost');
        expect(stream.digest.group).toBe(HYBRID);
        await exchange(stream, '', /hello from node/);
        stream.destroy();
      } finally {
        srv.close();
      }
    }, ctx.ms(15_000), { requires: ['group-x25519mlkem768'] });

    ctx.test('settings that name the hybrid are honoured, or refused when the backend lacks it', async () => {
      const pki = ctx.pki();
      const settings = TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setGroups([HYBRID, 'x25519']);
      if (!tlsBackend().features.has('group-x25519mlkem768')) {
        expect(() => tlsBackend().createAcceptor(settings)).toThrow(TlsFeatureUnsupportedError);
        return;
      }
      const s = await start(settings);
      const mark = s.mark();
      const r = await pqNodeClient(needNode(), s.port, pki.caPem, 'X25519MLKEM768:X25519');
      expect(r.group).toBe(HYBRID);
      const o = await s.outcomeAfter(mark);
      expect(o.ok && o.digest.group).toBe(HYBRID);
    }, ctx.ms(15_000));
  });
}

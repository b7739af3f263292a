import { describe, expect, it } from 'vitest';
import { x25519 } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from '../src/bytes.js';
import { KeySchedule13, trafficKeys } from '../src/key-schedule.js';
import { parseClientHello, parseServerHello } from '../src/messages/hello.js';
import { Ext, parseClientKeyShares } from '../src/messages/extensions.js';
import { Transcript } from '../src/transcript.js';
import { nodeCryptoProvider, pureCryptoProvider } from '../src/index.js';

// RFC 8448 section 3, "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256, x25519).
const CH = fromHex('010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001');
const SH = fromHex('020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304');
const EE = fromHex('080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000');
const CERT = fromHex('0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000');
const CV = fromHex('0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3');
const SERVER_X25519_PRIVATE = fromHex('b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e');
const SHARED = fromHex('8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d');

describe('RFC 8448 section 3 known answers', () => {
  it('parses the ClientHello and ServerHello of the trace', () => {
    const ch = parseClientHello(CH.subarray(4));
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    const shares = parseClientKeyShares(ch.extensions.get(Ext.key_share)!);
    expect(toHex(shares[0]!.key)).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    const sh = parseServerHello(SH.subarray(4));
    expect(sh.cipherSuite).toBe(0x1301);
  });

  it('x25519 agreement gives the trace\'s shared secret', () => {
    expect(toHex(x25519.getPublicKey(SERVER_X25519_PRIVATE))).toBe('c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f');
    expect(toHex(x25519.getSharedSecret(SERVER_X25519_PRIVATE, fromHex('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c')))).toBe(toHex(SHARED));
  });

  for (const p of [pureCryptoProvider, nodeCryptoProvider]) {
    it(`${p.name} provider: key schedule, transcript, Finished and traffic keys`, () => {
      const t = new Transcript();
      t.add(CH);
      t.add(SH);
      const thSh = t.hash(p, 'sha256');
      expect(toHex(thSh)).toBe('860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8');
      const ks = new KeySchedule13(p, 'sha256');
      ks.inputHandshakeSecret(SHARED);
      const cHs = ks.derive('c hs traffic', thSh);
      const sHs = ks.derive('s hs traffic', thSh);
      expect(toHex(cHs)).toBe('b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21');
      expect(toHex(sHs)).toBe('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
      const sk = trafficKeys(p, 'sha256', sHs, 16);
      expect(toHex(sk.key)).toBe('3fce516009c21727d0f2e4e86ee403bc');
      expect(toHex(sk.iv)).toBe('5d313eb2671276ee13000b30');
      const ck = trafficKeys(p, 'sha256', cHs, 16);
      expect(toHex(ck.key)).toBe('dbfaa693d1762c5b666af5d950258d01');
      expect(toHex(ck.iv)).toBe('5bd3c71b836e0b76bb73265f');
      expect(toHex(ks.finishedKey(cHs))).toBe('b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4');

      t.add(EE);
      t.add(CERT);
      t.add(CV);
      const fin = ks.finishedMac(sHs, t.hash(p, 'sha256'));
      expect(toHex(fin)).toBe('9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718');
      t.add(fromHex(`14000020${toHex(fin)}`));
      const thFin = t.hash(p, 'sha256');
      expect(toHex(thFin)).toBe('9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13');
      ks.inputMasterSecret();
      expect(toHex(ks.derive('c ap traffic', thFin))).toBe('9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5');
      expect(toHex(ks.derive('s ap traffic', thFin))).toBe('a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643');
    });
  }

  it('the early secret with no PSK and the first "derived" secret', () => {
    const p = pureCryptoProvider;
    const ks = new KeySchedule13(p, 'sha256');
    expect(toHex(ks.derive('derived', p.hash('sha256', new Uint8Array(0))))).toBe('6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba');
  });
});

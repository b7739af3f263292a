/**
 * TEST-ONLY. A toy "TLS" engine with NO security at all, used to exercise EngineStream without a
 * real TLS library. It lives under test/ and is never exported from @proxy/core.
 *
 * Wire format, one record: [type u8][length u32 big-endian][payload].
 *   CLIENT_HELLO  payload: the server name (UTF-8)
 *   SERVER_HELLO  payload: a random 32-byte key; the handshake is done on both sides after it
 *   DATA          payload: application bytes XOR-masked with the key
 *   CLOSE_NOTIFY  empty
 *   ALERT         payload: one byte, the alert code; fatal
 * Any other type is a protocol violation: the engine queues ALERT(unexpected_message) and throws.
 */
import { randomBytes } from 'node:crypto';
import type { CertKey, ClientHelloInfo, SslDigest, TlsEngine } from '../../src/index.js';
import { TlsAlertReceivedError, TlsHandshakeError, TlsProtocolError } from '../../src/index.js';

export const RecordType = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  DATA: 3,
  CLOSE_NOTIFY: 4,
  ALERT: 5,
} as const;

export const ALERT_UNEXPECTED_MESSAGE = 10;
export const HEADER_LENGTH = 5;
export const KEY_LENGTH = 32;
const MAX_PAYLOAD = 16 * 1024;

export function encodeRecord(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const record = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  record[0] = type;
  record.writeUInt32BE(payload.length, 1);
  record.set(payload, HEADER_LENGTH);
  return record;
}

export function xorMask(data: Uint8Array, key: Uint8Array, out: Uint8Array = new Uint8Array(data.length), outOffset = 0): Uint8Array {
  for (let i = 0; i < data.length; i++) out[outOffset + i] = data[i]! ^ key[i & (KEY_LENGTH - 1)]!;
  return out;
}

export interface ToyEngineOptions {
  side: 'client' | 'server';
  /** Client: the server name to send. */
  serverName?: string;
  /** Server: the peer address reported in the ClientHelloInfo. */
  peerAddr?: string;
  /** Server: pause on the ClientHello for a certificate choice (as engines with a certificate callback do). */
  askCertificate?: boolean;
  /** What closeDelayMs() reports after a fatal error. */
  closeDelayMs?: number;
  /**
   * Hold the alert of a protocol violation until afterCloseDelay() (as s2n does during its
   * blinding delay); the engine then offers afterCloseDelay.
   */
  alertAfterDelay?: boolean;
  /** Offer pullOutputChunks (records handed over as a list), as tls-pure's engine does. */
  chunkedOutput?: boolean;
  /** Offer sendChunks (a batch of writes in one call), as the s2n and BoringSSL engines do. */
  batchedSend?: boolean;
  /** With chunkedOutput: offer releaseOutputChunk (recycled output blocks), as the s2n and BoringSSL engines do. */
  releasedOutput?: boolean;
}

export class ToyEngine implements TlsEngine {
  readonly side: 'client' | 'server';
  handshakeDone = false;
  peerClosed = false;
  pendingClientHello: ClientHelloInfo | undefined;
  /** Present only with `chunkedOutput`: the adapter checks for the method itself. */
  pullOutputChunks?: () => Uint8Array[];
  /** Present only with `batchedSend`. */
  sendChunks?: (chunks: readonly Uint8Array[]) => void;
  /** Present only with `releasedOutput`. */
  releaseOutputChunk?: (chunk: Uint8Array) => void;
  /** With `releasedOutput`: every chunk pullOutputChunks handed over, and how often each came back. */
  readonly handedOut: Uint8Array[] = [];
  readonly releases = new Map<Uint8Array, number>();
  /** Present only with `alertAfterDelay`. */
  afterCloseDelay?: () => void;
  afterCloseDelayCalls = 0;

  /** Counters the tests assert on. */
  receiveCalls = 0;
  /** The length of each send() call's data, and the number of chunks of each sendChunks() call. */
  readonly sends: number[] = [];
  readonly chunkBatches: number[] = [];
  bytesReceived = 0;
  destroyCalls = 0;
  certificateSelections = 0;
  selectedCertificate: CertKey | undefined;

  private readonly options: ToyEngineOptions;
  private key: Uint8Array | undefined;
  private serverName: string | undefined;
  private input: Buffer = Buffer.alloc(0);
  private readonly output: Uint8Array[] = [];
  private readonly plaintext: Uint8Array[] = [];
  private closed = false;
  private failed = false;

  constructor(options: ToyEngineOptions) {
    this.options = options;
    this.side = options.side;
    this.serverName = options.serverName;
    if (options.chunkedOutput) this.pullOutputChunks = () => this.output.splice(0);
    if (options.chunkedOutput && options.releasedOutput) {
      this.pullOutputChunks = () => {
        const chunks = this.output.splice(0);
        this.handedOut.push(...chunks);
        return chunks;
      };
      this.releaseOutputChunk = (chunk) => this.releases.set(chunk, (this.releases.get(chunk) ?? 0) + 1);
    }
    if (options.batchedSend) {
      this.sendChunks = (chunks) => {
        this.chunkBatches.push(chunks.length);
        this.encrypt(Buffer.concat(chunks));
      };
    }
  }

  start(): void {
    if (this.side === 'client') this.output.push(encodeRecord(RecordType.CLIENT_HELLO, Buffer.from(this.serverName ?? '')));
  }

  receive(data: Uint8Array): void {
    this.receiveCalls++;
    this.bytesReceived += data.length;
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    this.processInput();
  }

  private processInput(): void {
    if (this.failed) throw new TlsProtocolError('toy engine: receive after a fatal error');
    while (this.pendingClientHello === undefined && this.input.length >= HEADER_LENGTH) {
      const length = this.input.readUInt32BE(1);
      if (this.input.length < HEADER_LENGTH + length) return;
      const type = this.input[0]!;
      const payload = this.input.subarray(HEADER_LENGTH, HEADER_LENGTH + length);
      this.input = this.input.subarray(HEADER_LENGTH + length);
      this.handleRecord(type, payload);
    }
  }

  private handleRecord(type: number, payload: Buffer): void {
    switch (type) {
      case RecordType.CLIENT_HELLO:
        if (this.side !== 'server' || this.key) return this.violation('unexpected ClientHello');
        this.serverName = payload.toString('utf8') || undefined;
        if (this.options.askCertificate) {
          this.pendingClientHello = { serverName: this.serverName, peerAddr: this.options.peerAddr ?? '' };
        } else {
          this.sendServerHello();
        }
        return;
      case RecordType.SERVER_HELLO:
        if (this.side !== 'client' || this.key || payload.length !== KEY_LENGTH) return this.violation('unexpected ServerHello');
        this.key = Uint8Array.from(payload);
        this.handshakeDone = true;
        return;
      case RecordType.DATA:
        if (!this.key || this.peerClosed) return this.violation('data outside the connection');
        this.plaintext.push(xorMask(payload, this.key));
        return;
      case RecordType.CLOSE_NOTIFY:
        this.peerClosed = true;
        return;
      case RecordType.ALERT:
        this.failed = true;
        throw new TlsAlertReceivedError(payload[0] ?? 0, 'toy alert', this.side === 'server' ? 'downstream' : 'upstream');
      default:
        return this.violation(`unknown record type ${type}`);
    }
  }

  private violation(what: string): never {
    this.failed = true;
    const alert = encodeRecord(RecordType.ALERT, Uint8Array.of(ALERT_UNEXPECTED_MESSAGE));
    if (this.options.alertAfterDelay) {
      this.afterCloseDelay = () => {
        this.afterCloseDelayCalls++;
        this.output.push(alert);
      };
    } else {
      this.output.push(alert);
    }
    throw new TlsProtocolError(`toy engine: ${what}`, {
      alert: ALERT_UNEXPECTED_MESSAGE,
      source: this.side === 'server' ? 'downstream' : 'upstream',
    });
  }

  private sendServerHello(): void {
    this.key = randomBytes(KEY_LENGTH);
    this.output.push(encodeRecord(RecordType.SERVER_HELLO, this.key));
    this.handshakeDone = true;
  }

  selectCertificate(certKey: CertKey | undefined): void {
    if (!this.pendingClientHello) throw new TlsHandshakeError('toy engine: no certificate was asked for');
    this.certificateSelections++;
    this.selectedCertificate = certKey;
    this.pendingClientHello = undefined;
    this.sendServerHello();
    this.processInput();
  }

  send(data: Uint8Array): void {
    this.sends.push(data.length);
    this.encrypt(data);
  }

  private encrypt(data: Uint8Array): void {
    if (!this.key || this.closed) throw new TlsProtocolError('toy engine: send before the handshake or after close');
    for (let offset = 0; offset < data.length; offset += MAX_PAYLOAD) {
      const length = Math.min(MAX_PAYLOAD, data.length - offset);
      const record = Buffer.allocUnsafe(HEADER_LENGTH + length);
      record[0] = RecordType.DATA;
      record.writeUInt32BE(length, 1);
      xorMask(data.subarray(offset, offset + length), this.key, record, HEADER_LENGTH);
      this.output.push(record);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.output.push(encodeRecord(RecordType.CLOSE_NOTIFY));
  }

  pullOutput(): Uint8Array | null {
    return this.output.shift() ?? null;
  }

  pullPlaintext(): Uint8Array | null {
    return this.plaintext.shift() ?? null;
  }

  digest(): SslDigest {
    return {
      backend: 'pure',
      version: 'TLSv1.3',
      cipher: 'TOY_XOR_NOT_SECURE',
      group: undefined,
      sni: this.serverName,
      alpn: undefined,
      sessionReused: false,
      peerCertificate: undefined,
    };
  }

  closeDelayMs(): number {
    return this.failed ? (this.options.closeDelayMs ?? 0) : 0;
  }

  destroy(): void {
    this.destroyCalls++;
  }
}

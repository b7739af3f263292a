import { AlertDescription, TlsProtocolError, alertName, type ErrorSource } from '@proxy/core';

/**
 * Every way a peer can break the protocol (or share nothing with us), named once, and the alert
 * each one sends (RFC 8446 section 6.2, RFC 5246 7.2.2): THE table. A condition with no alert
 * closes without answering. rustls' `PeerMisbehaved` is the model: tests and users tell
 * failures apart by `err.condition`, never by the message text.
 */
export const CONDITION_ALERTS = {
  // unexpected_message
  ApplicationDataBeforeHandshake: AlertDescription.unexpected_message,
  ChangeCipherSpecInsideHandshakeMessage: AlertDescription.unexpected_message,
  EmptyAlertRecord: AlertDescription.unexpected_message,
  EmptyHandshakeRecord: AlertDescription.unexpected_message,
  KeyChangeInsideHandshakeMessage: AlertDescription.unexpected_message,
  MalformedChangeCipherSpec: AlertDescription.unexpected_message,
  MissingInnerContentType: AlertDescription.unexpected_message,
  RecordInsideHandshakeMessage: AlertDescription.unexpected_message,
  SecondHelloRetryRequest: AlertDescription.unexpected_message,
  TooManyIgnoredRecords: AlertDescription.unexpected_message,
  TooMuchEarlyData: AlertDescription.unexpected_message,
  UnexpectedChangeCipherSpec: AlertDescription.unexpected_message,
  UnexpectedHandshakeMessage: AlertDescription.unexpected_message,
  UnknownRecordContentType: AlertDescription.unexpected_message,
  UnprotectedRecordAfterKeyChange: AlertDescription.unexpected_message,
  // bad_record_mac
  BadRecordMac: AlertDescription.bad_record_mac,
  RecordTooShort: AlertDescription.bad_record_mac,
  // record_overflow
  CiphertextRecordTooLong: AlertDescription.record_overflow,
  InnerPlaintextTooLong: AlertDescription.record_overflow,
  PlaintextRecordTooLong: AlertDescription.record_overflow,
  RecordTooLong: AlertDescription.record_overflow,
  // handshake_failure
  ExtendedMasterSecretChangedOnResumption: AlertDescription.handshake_failure,
  NoCommonCipherSuite: AlertDescription.handshake_failure,
  NoCommonGroup: AlertDescription.handshake_failure,
  NoCommonSignatureScheme: AlertDescription.handshake_failure,
  NonEmptyRenegotiationInfo: AlertDescription.handshake_failure,
  // bad_certificate
  UnparsableCertificate: AlertDescription.bad_certificate,
  // unsupported_certificate
  CertificateKeyDoesNotFitSuite: AlertDescription.unsupported_certificate,
  // illegal_parameter
  AlpnNotOffered: AlertDescription.illegal_parameter,
  BadKeyUpdateRequest: AlertDescription.illegal_parameter,
  CertificateRequestContextMismatch: AlertDescription.illegal_parameter,
  CipherSuiteChangedAfterRetry: AlertDescription.illegal_parameter,
  CipherSuiteNotOffered: AlertDescription.illegal_parameter,
  CompressionInTls13: AlertDescription.illegal_parameter,
  DowngradeSentinel: AlertDescription.illegal_parameter,
  DuplicateExtension: AlertDescription.illegal_parameter,
  DuplicateKeyShareGroup: AlertDescription.illegal_parameter,
  EarlyDataAfterRetry: AlertDescription.illegal_parameter,
  GroupNotOffered: AlertDescription.illegal_parameter,
  InvalidKeyShare: AlertDescription.illegal_parameter,
  InvalidServerName: AlertDescription.illegal_parameter,
  KeyShareGroupNotInSupportedGroups: AlertDescription.illegal_parameter,
  /** An X25519MLKEM768 share of the wrong size, or an ML-KEM key failing FIPS 203's modulus check (draft-ietf-tls-ecdhe-mlkem 3). */
  MalformedHybridKeyShare: AlertDescription.illegal_parameter,
  NullCompressionNotOffered: AlertDescription.illegal_parameter,
  PskBinderCountMismatch: AlertDescription.illegal_parameter,
  PskHashMismatch: AlertDescription.illegal_parameter,
  PskNotLastExtension: AlertDescription.illegal_parameter,
  RecordSizeLimitTooSmall: AlertDescription.illegal_parameter,
  ResumedSessionNotOffered: AlertDescription.illegal_parameter,
  RetriedHelloChanged: AlertDescription.illegal_parameter,
  RetriedHelloWithoutRequestedKeyShare: AlertDescription.illegal_parameter,
  RetriedHelloWithoutTls13: AlertDescription.illegal_parameter,
  RetryRequestForUnusableGroup: AlertDescription.illegal_parameter,
  RetryRequestWithoutChange: AlertDescription.illegal_parameter,
  ServerHelloWithCompression: AlertDescription.illegal_parameter,
  ServerKeyExchangeNotNamedCurve: AlertDescription.illegal_parameter,
  ServerNameChangedAfterRetry: AlertDescription.illegal_parameter,
  SessionIdEchoMismatch: AlertDescription.illegal_parameter,
  SignatureSchemeNotOffered: AlertDescription.illegal_parameter,
  TicketLifetimeTooLong: AlertDescription.illegal_parameter,
  UncompressedPointsNotOffered: AlertDescription.illegal_parameter,
  // decode_error
  BadVectorLength: AlertDescription.decode_error,
  ExtendedMasterSecretWithData: AlertDescription.decode_error,
  FinishedWrongLength: AlertDescription.decode_error,
  HandshakeMessageTooLong: AlertDescription.decode_error,
  MalformedAlert: AlertDescription.decode_error,
  NoServerCertificate: AlertDescription.decode_error,
  OddLengthList: AlertDescription.decode_error,
  ServerHelloDoneWithBody: AlertDescription.decode_error,
  TrailingBytes: AlertDescription.decode_error,
  TruncatedMessage: AlertDescription.decode_error,
  // decrypt_error
  BadFinished: AlertDescription.decrypt_error,
  BadPskBinder: AlertDescription.decrypt_error,
  BadSignature: AlertDescription.decrypt_error,
  // protocol_version
  BadRecordVersion: AlertDescription.protocol_version,
  LegacyVersionBelowTls12: AlertDescription.protocol_version,
  NoCommonVersion: AlertDescription.protocol_version,
  VersionNotOffered: AlertDescription.protocol_version,
  // inappropriate_fallback
  InappropriateFallback: AlertDescription.inappropriate_fallback,
  // missing_extension
  MissingKeyShareOrGroups: AlertDescription.missing_extension,
  MissingServerKeyShare: AlertDescription.missing_extension,
  MissingSignatureAlgorithms: AlertDescription.missing_extension,
  PskWithoutKeyExchangeModes: AlertDescription.missing_extension,
  // unsupported_extension
  UnsolicitedExtension: AlertDescription.unsupported_extension,
  // unrecognized_name
  NoCertificateForName: AlertDescription.unrecognized_name,
  // certificate_required: a missing client certificate is InvalidCertError('no-certificate') on
  // every backend (the cross-backend contract), not a protocol condition.
  // no_application_protocol
  NoCommonAlpn: AlertDescription.no_application_protocol,
  // no alert: the peer is gone, nobody is left to read one
  MalformedPlaintextAlert: undefined,
} as const satisfies Record<string, number | undefined>;

/** The name of one protocol condition (a key of CONDITION_ALERTS). */
export type PeerMisbehaved = keyof typeof CONDITION_ALERTS;

/** The conditions as values: `PeerMisbehaved.BadRecordMac === 'BadRecordMac'`. */
export const PeerMisbehaved = Object.freeze(
  Object.fromEntries(Object.keys(CONDITION_ALERTS).map((k) => [k, k])),
) as { readonly [K in PeerMisbehaved]: K };

/**
 * A protocol error raised by tls-pure: a TlsProtocolError (code TLS_PROTOCOL, `.alert` the one
 * sent) that also names its condition. Parsers raise it with source 'internal'; the engine
 * restamps it with the side of the peer that caused it.
 */
export class PureTlsProtocolError extends TlsProtocolError {
  readonly condition: PeerMisbehaved;
  readonly detail: string | undefined;

  constructor(condition: PeerMisbehaved, detail?: string, source: ErrorSource = 'internal') {
    const alert: number | undefined = CONDITION_ALERTS[condition];
    const said = alert === undefined ? 'closing without an alert' : `sending ${alertName(alert)}`;
    super(`${condition}${detail ? `: ${detail}` : ''} (${said})`, { alert, source });
    this.condition = condition;
    this.detail = detail;
  }

  /** The same condition, blamed on `source`. */
  withSource(source: ErrorSource): PureTlsProtocolError {
    const e = new PureTlsProtocolError(this.condition, this.detail, source);
    e.stack = this.stack;
    return e;
  }
}

/** Raises a named condition; `detail` carries only the values involved (a type, a length, a name). */
export function fatal(condition: PeerMisbehaved, detail?: string): PureTlsProtocolError {
  return new PureTlsProtocolError(condition, detail);
}

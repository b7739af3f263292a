// The handshakeFailed hook (TlsSettings.withCallbacks / setHandshakeFailed) on the pure backend.
import '@proxy/tls-pure';
import { describeHandshakeFailedHook } from '@proxy/testkit';

describeHandshakeFailedHook('pure');

// The handshakeFailed hook (TlsSettings.withCallbacks / setHandshakeFailed) on the openssl backend.
import '@proxy/tls-openssl';
import { describeHandshakeFailedHook } from '@proxy/testkit';

describeHandshakeFailedHook('openssl');

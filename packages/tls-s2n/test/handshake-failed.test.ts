// The handshakeFailed hook (TlsSettings.withCallbacks / setHandshakeFailed) on the s2n backend.
import '@proxy/tls-s2n';
import { describeHandshakeFailedHook } from '@proxy/testkit';

describeHandshakeFailedHook('s2n');

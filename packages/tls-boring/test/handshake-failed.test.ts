// The handshakeFailed hook (TlsSettings.withCallbacks / setHandshakeFailed) on the boringssl backend.
import '@proxy/tls-boring';
import { describeHandshakeFailedHook } from '@proxy/testkit';

describeHandshakeFailedHook('boringssl');

// Core's ClientHello phase (JA4/JA3, strict SNI, the filter's clientHello, the per-JA4 limit) on the boringssl backend.
import '@proxy/tls-boring';
import { describeClientHelloPhase } from '@proxy/testkit';

describeClientHelloPhase('boringssl');

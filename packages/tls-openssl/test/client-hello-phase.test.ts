// Core's ClientHello phase (JA4/JA3, strict SNI, the filter's clientHello, the per-JA4 limit) on the openssl backend.
import '@proxy/tls-openssl';
import { describeClientHelloPhase } from '@proxy/testkit';

describeClientHelloPhase('openssl');

// Core's ClientHello phase (JA4/JA3, strict SNI, the filter's clientHello, the per-JA4 limit) on the s2n backend.
import '@proxy/tls-s2n';
import { describeClientHelloPhase } from '@proxy/testkit';

describeClientHelloPhase('s2n');

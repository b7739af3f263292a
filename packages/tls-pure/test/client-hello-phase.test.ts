// Core's ClientHello phase (JA4/JA3, strict SNI, the filter's clientHello, the per-JA4 limit) on the pure backend.
import '@proxy/tls-pure';
import { describeClientHelloPhase } from '@proxy/testkit';

describeClientHelloPhase('pure');

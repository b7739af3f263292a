// Hostile HTTP/2 clients (raw frames) against a gateway on this backend, in this process.
import '@proxy/tls-boring';
import { describeHostileH2 } from '@proxy/testkit';

describeHostileH2({ expectedBackend: 'boringssl' });

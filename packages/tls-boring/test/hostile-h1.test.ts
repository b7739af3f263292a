// Hostile HTTP/1.1 clients, a broken origin and graceful shutdown under load, against a gateway on this backend, in this process.
import '@proxy/tls-boring';
import { describeGracefulShutdown, describeHostileH1 } from '@proxy/testkit';

describeHostileH1({ expectedBackend: 'boringssl' });
describeGracefulShutdown({ expectedBackend: 'boringssl' });

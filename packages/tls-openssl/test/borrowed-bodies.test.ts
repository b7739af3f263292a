// Multi-MiB bodies through the proxy on this backend, to fast and slow (backpressured) clients:
// the SHA-256 each client gets must be the origin's (testkit's describeBorrowedBodies).
import '@proxy/tls-openssl';
import { describeBorrowedBodies } from '@proxy/testkit';

describeBorrowedBodies();

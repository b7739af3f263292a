import { registerTlsBackend } from '@proxy/core';
import { opensslBackend } from './backend.js';

registerTlsBackend(opensslBackend);

export { opensslBackend };
export { OpensslAcceptor } from './acceptor.js';
export { OpensslConnector } from './connector.js';

// A real browser (Debian's Chromium, headless) through this app, in its own process.
import { fileURLToPath } from 'node:url';
import '@proxy/tls-boring';
import { tlsBackend } from '@proxy/core';
import { describeBrowserGateway } from '@proxy/testkit';

describeBrowserGateway({
  appMain: fileURLToPath(new URL('../dist/main.js', import.meta.url)),
  expectedBackend: 'boringssl',
  hybridGroup: tlsBackend().features.has('group-x25519mlkem768'),
});

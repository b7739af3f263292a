// A real browser (Debian's Chromium, headless) through this app, in its own process.
import { fileURLToPath } from 'node:url';
import '@proxy/tls-pure';
import { describeBrowserGateway } from '@proxy/testkit';

describeBrowserGateway({
  appMain: fileURLToPath(new URL('../dist/main.js', import.meta.url)),
  expectedBackend: 'pure',
  // tls-pure has its own X25519MLKEM768 on every Node: Chromium must negotiate it.
  hybridGroup: true,
});

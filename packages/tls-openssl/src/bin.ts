// `proxy-tls-openssl s_server|s_client ...`: openssl-shaped test tools on this backend.
import './index.js';
import { runTlsTool } from '@proxy/core/tools';

process.exitCode = await runTlsTool(process.argv.slice(2));

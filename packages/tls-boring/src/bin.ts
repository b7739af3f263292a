#!/usr/bin/env node
// proxy-tls-boring s_server | s_client: core's openssl-shaped test tools on this backend.
import './index.js';
import { runTlsTool } from '@proxy/core/tools';

process.exitCode = await runTlsTool(process.argv.slice(2));

#!/usr/bin/env node
// proxy-check-backend: run in an app's directory as part of its build; fails unless the app
// ships exactly one @proxy TLS backend. The logic is in ../tools/check-backend.ts.
import { runCheckBackend } from '../tools/check-backend.js';

process.exitCode = runCheckBackend(process.argv.slice(2), process.cwd());

#!/usr/bin/env node
// Committed launcher: pnpm links a bin only if its file exists at install time, before dist is built.
import '../dist/bin.js';

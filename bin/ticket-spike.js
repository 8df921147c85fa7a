#!/usr/bin/env node
// The npm bin: runs the built CLI (npm run build first). The CLI module runs itself when imported from here.
import '../dist/src/cli/main.js';

#!/usr/bin/env node
// The pdstack-router command: the compiled router in build/ (written by `npm run build` at the repository root and
// by this package's prepack). A committed file, so that `npm ci` links the command before anything is compiled.
void import('../build/router/main.js');

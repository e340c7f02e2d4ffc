'use strict';
// Worker health check: exits 0 while worker.js has touched its heartbeat file in the last 2 minutes.
const fs = require('fs');

try {
  const age = Date.now() - fs.statSync('/tmp/worker-alive').mtimeMs;
  process.exit(age < 120_000 ? 0 : 1);
} catch {
  process.exit(1);
}

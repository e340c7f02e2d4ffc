'use strict';
// Placeholder queue worker (services.queue): stays up, logs a heartbeat, stops cleanly on SIGTERM.
const fs = require('fs');
const { log } = require('./log');

// worker-health.js (the container health check) reads this file's age.
const alive = () => fs.writeFileSync('/tmp/worker-alive', String(Date.now()));
log('info', 'worker started (placeholder: no queue to consume)');
alive();
const heartbeat = setInterval(() => { alive(); log('info', 'worker heartbeat'); }, 30_000);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    clearInterval(heartbeat);
    log('info', 'worker stopped', { signal });
    process.exit(0);
  });
}

'use strict';
// Placeholder queue worker (service.workers.queue): stays up, logs a heartbeat, stops cleanly on SIGTERM.
const { log } = require('./log');

log('info', 'worker started (placeholder: no queue to consume)');
const heartbeat = setInterval(() => log('info', 'worker heartbeat'), 60_000);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    clearInterval(heartbeat);
    log('info', 'worker stopped', { signal });
    process.exit(0);
  });
}

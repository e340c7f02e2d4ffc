'use strict';
// Placeholder migration: the deploy hook runs this once per new revision, before traffic shifts.
// Replace with e.g. `npx prisma migrate deploy`; it must exit non-zero on failure (that rolls the deploy back).
const { log } = require('./log');

log('info', 'migrations ran (placeholder: nothing to migrate)');

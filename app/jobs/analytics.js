'use strict';
// Placeholder scheduled job (service.jobs.analytics): does its work, logs, exits 0.
const { log } = require('../log');

log('info', 'analytics job ran (placeholder: nothing to compute)');

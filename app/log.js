'use strict';
// One JSON object per line on stdout: CloudWatch Logs Insights can filter on `level`, `path`, `status`.
function log(level, msg, fields = {}) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
}

module.exports = { log };

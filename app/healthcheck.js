'use strict';
// Container health check without curl: exits 0 when GET /health answers 200 within 3 s.
const PORT = Number(process.env.PORT || 3000);

fetch(`http://127.0.0.1:${PORT}/health`, { signal: AbortSignal.timeout(3000) })
  .then((res) => process.exit(res.status === 200 ? 0 : 1))
  .catch(() => process.exit(1));

'use strict';
// Placeholder API (see README.md): /ping, /health, JSON logs, graceful shutdown. No dependencies.
const fs = require('node:fs');
const http = require('node:http');
const { log } = require('./log');

const PORT = Number(process.env.PORT || 3000);
const UNHEALTHY_FLAG = '/tmp/unhealthy'; // touch it (e.g. via ECS Exec) to fail /health on purpose
const started = Date.now();

function send(res, status, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function health() {
  const healthy = !fs.existsSync(UNHEALTHY_FLAG);
  return [healthy ? 200 : 503, {
    status: healthy ? 'healthy' : 'unhealthy',
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    version: process.env.APP_VERSION || 'placeholder',
  }];
}

const server = http.createServer((req, res) => {
  const begin = process.hrtime.bigint();
  const path = new URL(req.url, 'http://localhost').pathname;
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - begin) / 1e6;
    log(res.statusCode >= 500 ? 'error' : 'info', 'request', {
      method: req.method, path, status: res.statusCode, durationMs: Math.round(ms * 10) / 10,
    });
  });
  if (req.method === 'GET' && path === '/ping') return send(res, 200, 'pong', 'text/plain');
  if (req.method === 'GET' && path === '/health') return send(res, ...health());
  return send(res, 404, { error: 'not found' });
});

// ALB idle timeout is 60 s: keep connections open longer so the ALB closes them, never the app.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(PORT, () => log('info', 'listening', { port: PORT }));

// ECS sends SIGTERM on deploys and scale-in: finish in-flight requests, then exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    log('info', 'shutting down', { signal });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(1), 25_000).unref();
  });
}

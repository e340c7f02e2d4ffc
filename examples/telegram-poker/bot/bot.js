'use strict';
// Stand-in bot: 200 on /health, 200 on POST /telegram/webhook when Telegram's secret header matches.
const http = require('node:http');

const PORT = Number(process.env.PORT || 3001);
const SECRET = process.env.TELEGRAM_WEBHOOK_SECRET || '';

http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/health') return res.writeHead(200).end('{"status":"healthy"}');
  if (req.method === 'POST' && path === '/telegram/webhook') {
    const ok = SECRET && req.headers['x-telegram-bot-api-secret-token'] === SECRET;
    return res.writeHead(ok ? 200 : 401).end();
  }
  return res.writeHead(404).end();
}).listen(PORT);

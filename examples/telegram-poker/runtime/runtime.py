"""Stand-in runtime: answers GET /health with 200 on port 8000."""

import http.server
import os


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()


http.server.ThreadingHTTPServer(("", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()

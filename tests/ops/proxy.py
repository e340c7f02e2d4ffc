"""A fault-injecting HTTP proxy in front of the moto server: hold, fail, drop or replace chosen API calls.

Requests are matched by API action (the `Action=` of query-protocol bodies, the X-Amz-Target of JSON ones) and
by occurrence, so a test can say "hold the third CreateRule until I release it" and send a signal to the
command meanwhile, or "answer DescribeRules with an nginx error page".
"""

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HTML = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
        b"<hr><center>nginx</center></body></html>")


@dataclass
class Fault:
    """What to do with the nth (1-based; 0 = every) call of an action."""

    action: str
    nth: int = 1
    do: str = "hold"  # hold | error | drop | forward-then-drop | html | reply (with `body`)
    code: str = "Throttling"
    status: int = 400
    message: str = "Rate exceeded"
    body: str = "{}"
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def matches(self, action: str, count: int) -> bool:
        """Whether this fault applies to the count-th call of action."""
        return action == self.action and (self.nth == 0 or self.nth == count)


def action_of(headers, body: bytes) -> str:
    """The API action of a request."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]


class FaultProxy:
    """Forwards to `upstream` unless a fault matches; `url` is what AWS_ENDPOINT_URL should be."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def add(self, action: str, nth: int = 1, do: str = "hold", **kwargs) -> Fault:
        """Register a fault for the nth call of action from now on (0: every call)."""
        with self.lock:
            fault = Fault(action, nth and self.counts.get(action, 0) + nth, do, **kwargs)
        self.faults.append(fault)
        return fault

    def reset(self) -> None:
        """Release every held call; forget faults and counts (the proxy serves a whole session)."""
        with self.lock:
            for fault in self.faults:
                fault.release.set()
            self.faults, self.counts = [], {}

    def close(self) -> None:
        """Release every held call and stop."""
        self.reset()
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Apply the first matching fault, else forward."""
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        action = action_of(request.headers, body)
        with self.lock:
            self.counts[action] = count = self.counts.get(action, 0) + 1
            fault = next((f for f in self.faults if f.matches(action, count)), None)
        if fault is None:
            return self.reply(request, *self.forward(request, body))
        fault.arrived.set()
        if fault.do == "hold":
            fault.release.wait(30)
            return self.reply(request, *self.forward(request, body))
        if fault.do == "drop":
            return self.drop(request)
        if fault.do == "forward-then-drop":
            self.forward(request, body)
            return self.drop(request)
        if fault.do == "html":
            return self.reply(request, fault.status, {"Content-Type": "text/html"}, HTML)
        if fault.do == "reply":
            return self.reply(request, 200, {"Content-Type": "application/x-amz-json-1.1"}, fault.body.encode())
        return self.reply(request, *self.error(request, fault))

    def forward(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict, bytes]:
        """The upstream's answer to the request."""
        upstream = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(request.command, request.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        kept = {k: v for k, v in response.getheaders()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")}
        upstream.close()
        return response.status, kept, data

    @staticmethod
    def error(request: BaseHTTPRequestHandler, fault: Fault) -> tuple[int, dict, bytes]:
        """An AWS error answer in the request's protocol."""
        if request.headers.get("X-Amz-Target"):
            body = f'{{"__type": "{fault.code}", "message": "{fault.message}"}}'.encode()
            return fault.status, {"Content-Type": "application/x-amz-json-1.1"}, body
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{fault.code}</Code><Message>{fault.message}"
                f"</Message></Error><RequestId>fault</RequestId></ErrorResponse>").encode()
        return fault.status, {"Content-Type": "text/xml"}, body

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, headers: dict, body: bytes) -> None:
        """Send a complete answer."""
        try:
            request.send_response(status)
            for key, value in headers.items():
                request.send_header(key, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:  # the client went away (a signal cut its call short)
            pass

    @staticmethod
    def drop(request: BaseHTTPRequestHandler) -> None:
        """Close the connection without an answer."""
        request.close_connection = True
        try:
            request.connection.shutdown(2)
        except OSError:
            pass

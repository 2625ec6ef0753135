#!/usr/bin/env python3
"""A peer for tests/ping.sh, on 127.0.0.1 and a free port, written to PORTFILE once listening.

    server.py MODE PORTFILE LOG

Every request is appended to LOG as one JSON object per line: time (epoch seconds, float),
method, path, content_type, user_agent, body, and for XML-RPC calls the method name and params;
for the HTTP modes, also "connections": how many connections the server had open at that moment.
With PING_TEST_WATCH=FILE in the environment, each line also has "watched": the SHA-256 of that
file when the request arrived (or null), to show what the site held at that moment.
With PING_TEST_PORT=N the server listens on port N instead of a free one.
MODE:
  hub           answers 202 Accepted (a WebSub hub)
  slow          answers 202 Accepted after half a second
  fail-then-ok  answers 500 to the first request for each body, then 202
  busy-then-ok  answers 429 with Retry-After: 1 to the first request for each body, then 202
  redirect-file answers 307 with Location: file:///etc/passwd
  see-other     answers a POST to / with 303 and Location: /published (the request was handled),
                a GET of /published with 200, and any other request with 405
  endless       answers 200 and a body that never ends
  unavailable   answers 503 with Retry-After: 120 (or $PING_TEST_RETRY_AFTER), always
  slow-500-then-unavailable
                answers the first request 500 after 0.3 s, every other as unavailable does
  slow-500-then-busy
                answers the first request 500 after 0.3 s, every other as busy-then-ok does
  status-404    answers 404 Not Found, with a reason in plain text
  endless-404   answers 404 and an HTML page that never ends
  hang          accepts connections, reads the request, never answers
  refused       binds a port, writes it, closes it: connections are refused; then exits
  xmlrpc        xmlrpc.server answering weblogUpdates.extendedPing and weblogUpdates.ping
  xmlrpc-basic  xmlrpc.server answering only weblogUpdates.ping (extendedPing faults)
"""
import hashlib
import io
import json
import os
import socket
import sys
import threading
import time
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

mode, portfile, logfile = sys.argv[1:4]
ADDRESS = ("127.0.0.1", int(os.environ.get("PING_TEST_PORT", "0")))
lock = threading.Lock()
seen = set()
connections = 0


def record(handler, body, extra=None):
    entry = {
        "time": time.time(),
        "method": handler.command,
        "path": handler.path,
        "content_type": handler.headers.get("Content-Type", ""),
        "user_agent": handler.headers.get("User-Agent", ""),
        "body": body.decode("utf-8", "replace"),
    }
    watch = os.environ.get("PING_TEST_WATCH")
    if watch:
        try:
            with open(watch, "rb") as f:
                entry["watched"] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            entry["watched"] = None
    if isinstance(handler, Peer):
        entry["connections"] = connections
    if extra:
        entry.update(extra)
    with lock:
        with open(logfile, "a") as f:
            f.write(json.dumps(entry) + "\n")


def write_port(port):
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)


def read_body(handler):
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(min(n, 1 << 20))


class Peer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # One handler per connection: it serves every request the connection carries.
    def setup(self):
        global connections
        with lock:
            connections += 1
        super().setup()

    def finish(self):
        global connections
        try:
            super().finish()
        finally:
            with lock:
                connections -= 1

    def log_message(self, *args):
        pass

    def reply(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def first_time(self, body):
        with lock:
            if body in seen:
                return False
            seen.add(body)
            return True

    def first_request(self, body):
        """Whether this is the server's first request; if so, its body counts as seen."""
        with lock:
            if seen:
                return False
            seen.add(body)
            return True

    def do_POST(self):
        body = read_body(self)
        record(self, body)
        if mode == "hub":
            self.reply(202)
        elif mode == "slow":
            time.sleep(0.5)
            self.reply(202)
        elif mode == "fail-then-ok":
            self.reply(500 if self.first_time(body) else 202)
        elif mode == "busy-then-ok":
            if self.first_time(body):
                self.reply(429, [("Retry-After", "1")])
            else:
                self.reply(202)
        elif mode.startswith("slow-500-then-") and self.first_request(body):
            time.sleep(0.3)
            self.reply(500)
        elif mode == "slow-500-then-unavailable":
            self.reply(503, [("Retry-After", "120")])
        elif mode == "slow-500-then-busy":
            if self.first_time(body):
                self.reply(429, [("Retry-After", "1")])
            else:
                self.reply(202)
        elif mode == "unavailable":
            self.reply(503, [("Retry-After", os.environ.get("PING_TEST_RETRY_AFTER", "120"))])
        elif mode == "status-404":
            self.reply(404, [("Content-Type", "text/plain")], b"no such hub\n")
        elif mode == "see-other":
            if self.command == "POST" and self.path == "/":
                self.reply(303, [("Location", "/published")])
            elif self.command == "GET" and self.path == "/published":
                self.reply(200, [("Content-Type", "text/plain")], b"published\n")
            else:
                self.reply(405, [("Allow", "GET")])
        elif mode == "redirect-file":
            self.reply(307, [("Location", "file:///etc/passwd")])
        elif mode in ("endless", "endless-404"):
            self.send_response(200 if mode == "endless" else 404)
            self.send_header("Content-Type", "text/plain" if mode == "endless" else "text/html")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(100000):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
        elif mode == "hang":
            time.sleep(30)
            self.close_connection = True

    do_GET = do_POST


class RecordingRPCHandler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2",)

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, 1 << 20))
        try:
            params, name = xmlrpc.client.loads(body)
        except Exception:
            params, name = None, None
        record(self, body, {"rpc_method": name, "rpc_params": list(params) if params else None})
        # Hand the bytes back to the standard handler, which reads the body itself.
        self.rfile = io.BytesIO(body)
        super().do_POST()


def serve_rpc(extended):
    server = SimpleXMLRPCServer(ADDRESS, requestHandler=RecordingRPCHandler, logRequests=False,
                                allow_none=True)

    def ping(name, url):
        return {"flerror": False, "message": "Thanks for the ping."}

    def extended_ping(name, url, page, feed):
        return {"flerror": False, "message": "Thanks for the extended ping."}

    server.register_function(ping, "weblogUpdates.ping")
    if extended:
        server.register_function(extended_ping, "weblogUpdates.extendedPing")
    write_port(server.server_address[1])
    server.serve_forever()


def main():
    if mode == "refused":
        s = socket.socket()
        s.bind(ADDRESS)
        port = s.getsockname()[1]
        s.close()
        write_port(port)
        return
    if mode in ("xmlrpc", "xmlrpc-basic"):
        serve_rpc(mode == "xmlrpc")
        return
    ThreadingHTTPServer.daemon_threads = True
    # socketserver's backlog of 5 drops the SYNs of a dozen connections made at once, and the
    # client's retry comes a second later: past the tests' 1 s timeout.
    ThreadingHTTPServer.request_queue_size = 64
    server = ThreadingHTTPServer(ADDRESS, Peer)
    write_port(server.server_address[1])
    server.serve_forever()


main()

"""A fake SU for the MU-side tests (test_su_api.py, test_lm_api.py): a Python HTTP server on
a simulated SU's API address (`sectl lab up --sim-units`) that answers the SU's internal
routes with scripted answers and records every request. Subclasses change route()."""
import json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs


class FakeSU:
    """The internal routes of an SU at addr ("127.0.0.1:port"); records every request."""

    def __init__(self, addr, name):
        self.requests, self.lock, su = [], threading.Lock(), self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self, method):
                url = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode() if n else ""
                req = {"method": method, "path": url.path, "query": parse_qs(url.query),
                       "body": body, "unit": self.headers.get("X-Sec-Unit"),
                       "auth": self.headers.get("X-Sec-Auth"),
                       "bearer": self.headers.get("Authorization")}
                with su.lock:
                    su.requests.append(req)
                status, out = su.route(req)
                data = json.dumps(out).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

        host, port = addr.rsplit(":", 1)
        self.name = name
        self.server = ThreadingHTTPServer((host, int(port)), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def route(self, req):
        if req["path"] == "/api/v1/internal/sdf" and req["method"] == "POST":
            cmd = json.loads(req["body"])["command"]
            ok = "G9" not in cmd
            return 200, {"su": self.name, "command": cmd,
                         "messages": ["% VMS3000 PROCESSED SUCCESSFULLY" if ok else
                                      "% VMS2033 VIRTUAL MACHINE (*,G9) NOT DEFINED"],
                         "rc": {"maincode": "CMD0001" if ok else "VMS2033",
                                "subcode1": 0 if ok else 64, "subcode2": 0}, "ok": ok}
        if req["path"] == "/api/v1/internal/console" and req["method"] == "GET":
            vm = req["query"].get("vm", [None])[0]
            if vm == "NOVM":
                return 404, {"error": {"code": "not_found", "message": "no VM 'NOVM'"}}
            return 200, {"su": self.name, "vm": vm, "next": 8,
                         "lines": [{"seq": 7, "time": "2026-11-30T05:01:02.123Z",
                                    "text": "GUEST n=3 check=ok"}]}
        if req["path"] == "/api/v1/internal/systems" and req["method"] == "GET":
            return 200, {"su": self.name, "systems": [
                {"name": "MONITOR", "vm_index": 1, "host_name": self.name,
                 "type": "BS2000 (monitor)", "os": "VM2000", "server": "server1",
                 "unit": self.name, "description": "", "status": "RUNNING",
                 "state": "RUNNING"},
                {"name": "G1", "vm_index": 2, "host_name": "G1", "type": "BS2000 (guest)",
                 "os": "demo guest", "server": "server1", "unit": self.name,
                 "description": "", "status": "RUNNING", "state": "RUNNING"}]}
        return 404, {"error": {"code": "not_found", "message": "no such route"}}

    def seen(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

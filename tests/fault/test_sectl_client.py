"""The `sectl` commands for operators against a fake REST API (issue 3 "API and CLI";
docs/api.md; seed 1.4, 2.2, 2.3, 2.3.2, 2.3.3; status.md).

The fake API is a Python http.server on 127.0.0.1 (port 0, read back) in a thread of this
process. It serves the examples of docs/api.md — a NORMAL cluster, a snapshot without a
Master MU, pages of events and audit entries — checks the Bearer token and records every
request, so that the tests see which query parameters the filters became.

Checked: the tables people see (column headers, key cells, no trailing blanks), --json
round trips, exit statuses (401 -> 1 with the "sectl login" hint; usage -> 2), the address
list (a refused first address falls back to the second, -v names the one used, all refused
-> 1 naming every address, a silent address moves a read on but never repeats a write),
the token file (written 0600 by login, a 0644 file refused naming it, removed by logout),
login with --password-file and on a terminal without echo (the password never in any
output), --follow (new events once, in arrival order, until SIGINT). Every process is ended by its PID; waits have deadlines.
"""
import calendar, json, os, re, signal, socket, subprocess, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs
import pytest
from lab import SECTL, wait_for

TOKEN = "AQAAAAEAAAABAAAA.c2lnbmF0dXJl-_x"
PASSWORD = "Zq7-unusual-Pass-4711"
EXPIRES_S = 1796000000  # 2026-11-30 00:53:20 UTC

MU1 = {"name": "mu1", "server": "server1", "role": "MU", "power_status": "ON",
       "network_heartbeat": "NORMAL", "crd_disks": "NORMAL", "crd_disks_age_ms": 0,
       "disks": [{"name": "ext1", "status": "NORMAL"}], "alive_age_ms": 180,
       "alive_verdict": "alive", "alive_reason": "alive message changing",
       "alive_state": "RUNNING", "dead_bound_ms": 3400,
       "system_status": "RUNNING", "status": "NORMAL", "version": "0.3.0",
       "clock_skew_ms": 2, "clock_skew": False}
MU2 = dict(MU1, name="mu2", server="server2", alive_age_ms=240)
SU1 = dict(MU1, name="su1", server="server1", role="SU", alive_age_ms=None,
           alive_verdict="never seen", alive_reason="never seen", alive_state=None,
           dead_bound_ms=None, crd_disks="WARNING", crd_disks_age_ms=12000)
# the other cells of the alive message: not read yet by the master, RESTARTING, LEFT, and
# a master of an older version that sends no verdict
SU2 = dict(SU1, name="su2", alive_verdict="undeterminable",
           alive_reason="slot not read yet on every required disk")
SU3 = dict(MU1, name="su3", role="SU", alive_age_ms=2600, alive_state="RESTARTING")
SU4 = dict(MU1, name="su4", role="SU", alive_age_ms=9000, alive_verdict="dead",
           alive_reason="unit left", alive_state="LEFT", power_status="OFF")
SU5 = {k: v for k, v in MU1.items() if not k.startswith("alive_") and k != "dead_bound_ms"}
SU5.update(name="su5", role="SU", alive_age_ms=None)

SNAPSHOT = {
    "version": 812, "age_ms": 140, "cluster": "demo", "status": "NORMAL",
    "master_mu": "mu1", "master_crd": "NORMAL", "isl_e": "NORMAL",
    "management_cluster": {"name": "Management Cluster", "present": True,
                           "versions_differ": False,
                           "isl_e_pairs": [{"a": "server1", "b": "server2", "status": "NORMAL"}]},
    "dashboard": {"clusters": 1, "worst": "NORMAL", "management": "NORMAL",
                  "su_clusters": 0, "su_worst": "NOT_CONFIGURED"},
    "units": [MU1, MU2, SU1],
    "su_clusters": [],
}

NO_MASTER = dict(
    SNAPSHOT, version=813, age_ms=2500, status="ERROR", master_mu=None, master_crd=None,
    isl_e="UNKNOWN",
    dashboard={"clusters": 1, "worst": "ERROR", "management": "ERROR", "su_clusters": 0,
               "su_worst": "NOT_CONFIGURED"},
    units=[dict(u, power_status="UNKNOWN", network_heartbeat="UNKNOWN", crd_disks="UNKNOWN",
                system_status="UNKNOWN", status="UNKNOWN") for u in (MU1, MU2, SU1)])

CLUSTERS = {"version": 812, "age_ms": 140, "dashboard": SNAPSHOT["dashboard"],
            "clusters": [{"name": "Management Cluster", "type": "SE", "function": "Management",
                          "status": "NORMAL"},
                         {"name": "suc1", "type": "SU", "function": "Live migration",
                          "status": "WARNING"}]}


def event(seq, ts_ms, weight, unit, message, component="Cluster"):
    t = time.gmtime(ts_ms // 1000)
    return {"id": f"1.00a3f2c81b7d9e40.{seq}", "ts_ms": ts_ms,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ts_ms % 1000:03d}Z",
            "weight": weight, "unit": unit, "component": component, "message": message,
            "acked": False}


EVENTS = [  # oldest first; the API answers newest first
    event(15, 1796000000100, "NOTICE", "mu1", "M2000 deactivated", "M2000"),
    event(16, 1796000000110, "WARNING", "mu2",
          "Cluster state of 'Management Cluster' changed from 'NORMAL' to 'WARNING'"),
    event(17, 1796000000123, "WARNING", "mu2",
          "Network heartbeat of unit 'mu1' changed from 'NORMAL' to 'NOT_ACCESSIBLE'"),
]

AUDIT = {"total": 2, "all": 2, "offset": 0, "entries": [
    {"id": "1.00a3f2c81b7d9e40.3", "ts_ms": 1796000000999, "time": "2026-11-30T00:53:20.999Z",
     "unit": "mu1", "account": "admin", "component": "SEM", "type": "Login successful",
     "message": "Action=Login; Account=admin --> OK"},
    {"id": "1.00a3f2c81b7d9e40.2", "ts_ms": 1795999990000, "time": "2026-11-30T00:53:10.000Z",
     "unit": "mu1", "account": "admin", "component": "SEM", "type": "Login failed",
     "message": "Action=Login; Account=admin --> Failed"}]}


def error(code, message, details=()):
    return {"error": {"code": code, "message": message, "details": list(details)}}


class FakeAPI:
    """One MU's API: state the tests change, and every request it saw."""

    def __init__(self):
        self.snapshot = SNAPSHOT
        self.events = list(EVENTS)
        self.events_all = 120
        self.token = TOKEN
        self.requests = []
        self.fail = {}  # path -> (status, body) to answer instead
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self, method):
                url = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with api.lock:
                    api.requests.append({"method": method, "path": url.path,
                                         "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                                         "auth": self.headers.get("Authorization"),
                                         "body": body.decode()})
                status, out = api.route(method, url.path, parse_qs(url.query), body,
                                        self.headers.get("Authorization"))
                self.reply(status, out)

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def seen(self, path, method=None):
        with self.lock:
            return [r for r in self.requests if r["path"] == path and
                    (method is None or r["method"] == method)]

    def route(self, method, path, query, body, auth):
        if path in self.fail:
            return self.fail[path]
        if path == "/api/v1/login" and method == "POST":
            b = json.loads(body or b"{}")
            if b.get("account") != "admin" or b.get("password") != PASSWORD:
                return 401, error("unauthenticated", "login failed")
            return 200, {"token": self.token, "account": "admin", "roles": ["administrator"],
                         "expires_s": EXPIRES_S}
        if auth != f"Bearer {self.token}":
            return 401, error("unauthenticated", "missing or invalid session token")
        if path == "/api/v1/logout" and method == "POST":
            return 200, {}
        if path == "/api/v1/cluster/status" and method == "GET":
            return 200, self.snapshot
        if path == "/api/v1/units" and method == "GET":
            return 200, {"version": self.snapshot["version"], "age_ms": self.snapshot["age_ms"],
                         "units": self.snapshot["units"]}
        if path == "/api/v1/clusters" and method == "GET":
            return 200, CLUSTERS
        if path == "/api/v1/events" and method == "GET":
            off = int(query.get("offset", ["0"])[0])
            lim = int(query.get("limit", ["50"])[0])
            with self.lock:
                newest = sorted(self.events, key=lambda e: e["ts_ms"], reverse=True)
            return 200, {"total": len(newest), "all": self.events_all, "offset": off,
                         "events": newest[off:off + lim]}
        if path == "/api/v1/events/ack" and method == "POST":
            return 200, {"acknowledged": 7}
        if path == "/api/v1/audit" and method == "GET":
            return 200, AUDIT
        return 404, error("not_found", f"no route {method} {path}")


@pytest.fixture
def api():
    a = FakeAPI()
    yield a
    a.close()


@pytest.fixture
def d():
    with tempfile.TemporaryDirectory(prefix="sec-sectl-") as t:
        yield t


def refused_port():
    """A port bound but not listening: connections to it are refused while we hold it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, f"127.0.0.1:{s.getsockname()[1]}"


def write_config(d, addrs, token=TOKEN, mode=0o600, extra=""):
    conf = os.path.join(d, "sectl.conf")
    with open(conf, "w") as f:
        f.write(f"[sectl]\napi = {', '.join(addrs)}\n{extra}")
    if token is not None:
        tok = os.path.join(d, "sectl.token")
        fd = os.open(tok, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.write(fd, (token + "\n").encode())
        os.close(fd)
        os.chmod(tok, mode)
    return conf


def sectl(conf, *args, env=None, timeout=30, cwd=None):
    e = dict(os.environ, TZ="UTC")
    e.pop("SECTL_CONFIG", None)
    if conf:
        e["SECTL_CONFIG"] = conf
    e.update(env or {})
    return subprocess.run([SECTL, *args], capture_output=True, text=True, env=e,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd)


def columns(line):
    """The cells of a table line (cells are separated by two or more blanks)."""
    return re.split(r"\s{2,}", line.strip())


def row(out, first):
    for line in out.splitlines():
        if columns(line)[0] == first:
            return columns(line)
    raise AssertionError(f"no row '{first}' in:\n{out}")


def no_trailing_blanks(out):
    for line in out.splitlines():
        assert line == line.rstrip(), repr(line)


# ---- cluster status, units, clusters ----

def test_cluster_status_table(api, d):
    r = sectl(write_config(d, [api.addr]), "cluster", "status")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    no_trailing_blanks(out)
    assert out.splitlines()[0] == "Cluster 'demo' as of 0.1 s ago, version 812"
    # the dashboard tile (seed 1.4)
    assert row(out, "Cluster") == ["Cluster", "1", "NORMAL"]
    assert row(out, "Management Cluster") == ["Management Cluster", "1", "NORMAL"]
    assert row(out, "SU Clusters") == ["SU Clusters", "0", "NOT_CONFIGURED"]
    # the Management Cluster summary (seed 2.2)
    assert "Management Cluster summary" in out
    assert row(out, "Status summary") == ["Status summary", "NORMAL"]
    assert row(out, "IP networks ISL-E") == ["IP networks ISL-E", "NORMAL"]
    assert row(out, "Master MU") == ["Master MU", "mu1", "NORMAL"]
    # the MU table (seed 2.2): MUs only
    assert columns(next(l for l in out.splitlines() if l.startswith("Management Unit"))) == \
        ["Management Unit", "Server", "Power status", "CRD disks", "Network heartbeat"]
    assert row(out, "mu1") == ["mu1", "server1", "ON", "NORMAL", "NORMAL"]
    assert row(out, "mu2") == ["mu2", "server2", "ON", "NORMAL", "NORMAL"]
    assert "su1" not in out
    assert out.splitlines()[-1] == "Total: 2"
    assert r.stderr == ""
    req = api.seen("/api/v1/cluster/status")[0]
    assert req["method"] == "GET" and req["auth"] == f"Bearer {TOKEN}"


def test_cluster_status_json_round_trip(api, d):
    r = sectl(write_config(d, [api.addr]), "cluster", "status", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j == SNAPSHOT
    # what the issue asks of it at least
    assert j["status"] == "NORMAL" and j["master_mu"] == "mu1" and j["isl_e"] == "NORMAL"
    assert {k for k in ("name", "server", "role", "power_status", "network_heartbeat",
                        "crd_disks")} <= set(j["units"][0])
    assert list(j) == list(SNAPSHOT)  # the server's order


def test_cluster_status_without_master(api, d):
    api.snapshot = NO_MASTER
    r = sectl(write_config(d, [api.addr]), "cluster", "status")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    no_trailing_blanks(out)
    assert "No Master MU is known" in out
    assert row(out, "Master MU") == ["Master MU", "none", "-"]
    assert row(out, "Status summary") == ["Status summary", "ERROR"]
    assert row(out, "Cluster") == ["Cluster", "1", "ERROR"]
    assert row(out, "mu1") == ["mu1", "server1", "UNKNOWN", "UNKNOWN", "UNKNOWN"]
    assert "as of 2.5 s ago, version 813" in out
    j = json.loads(sectl(write_config(d, [api.addr]), "cluster", "status", "--json").stdout)
    assert j["master_mu"] is None


def test_status_before_the_first_snapshot(api, d):
    """secd answers version 0 (age_ms null) until the Master MU published its first status
    (secd_snapshot_view): the header says so instead of "as of ? ago, version 0"."""
    api.snapshot = dict(NO_MASTER, version=0, age_ms=None, units=[], su_clusters=[])
    for cmd in (["cluster", "status"], ["units"]):
        r = sectl(write_config(d, [api.addr]), *cmd)
        assert r.returncode == 0, r.stderr
        assert "not known yet: no status from the Master MU so far" in r.stdout.splitlines()[0]
        assert "version 0" not in r.stdout


def test_cluster_status_with_one_server_and_a_broken_link(api, d):
    api.snapshot = dict(SNAPSHOT, isl_e="ERROR", status="WARNING", management_cluster=dict(
        SNAPSHOT["management_cluster"], versions_differ=True,
        isl_e_pairs=[{"a": "server1", "b": "server2", "status": "ERROR"}]))
    out = sectl(write_config(d, [api.addr]), "cluster", "status").stdout
    assert row(out, "server1 - server2") == ["server1 - server2", "ERROR"]
    assert row(out, "Software versions") == ["Software versions", "differ between the MUs"]
    api.snapshot = dict(SNAPSHOT, isl_e="NOT_CONFIGURED", management_cluster=dict(
        SNAPSHOT["management_cluster"], present=False, isl_e_pairs=[]))
    out = sectl(write_config(d, [api.addr]), "cluster", "status").stdout
    assert "  Management Cluster" not in out  # the tile's line is absent with one server
    assert row(out, "IP networks ISL-E") == ["IP networks ISL-E", "NOT_CONFIGURED"]


def test_units_table(api, d):
    r = sectl(write_config(d, [api.addr]), "units")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    no_trailing_blanks(out)
    lines = out.splitlines()
    assert lines[0] == "Units as of 0.1 s ago, version 812"
    assert columns(lines[1]) == ["Unit", "Role", "Server", "Power status", "Network heartbeat",
                                 "CRD disks", "Alive msg", "Verdict", "System status", "Status"]
    assert row(out, "mu1") == ["mu1", "MU", "server1", "ON", "NORMAL", "NORMAL", "0.1 s ago",
                               "alive", "RUNNING", "NORMAL"]
    # an alive message never seen; a CRD report that a silent unit left behind, with its age
    assert row(out, "su1") == ["su1", "SU", "server1", "ON", "NORMAL", "WARNING (12 s old)",
                               "never", "never seen", "RUNNING", "NORMAL"]
    assert lines[-1] == "Total: 3"
    j = json.loads(sectl(write_config(d, [api.addr]), "units", "--json").stdout)
    assert [u["name"] for u in j["units"]] == ["mu1", "mu2", "su1"]
    assert j["units"][0]["alive_verdict"] == "alive" and j["units"][0]["dead_bound_ms"] == 3400


def test_units_alive_cells(api, d):
    """The Alive msg and Verdict cells of every kind of verdict (crd.md §4)."""
    api.snapshot = dict(SNAPSHOT, units=[MU1, SU2, SU3, SU4, SU5])
    out = sectl(write_config(d, [api.addr]), "units").stdout
    no_trailing_blanks(out)
    assert row(out, "su2")[6:8] == ["not yet read",
                                    "undeterminable: slot not read yet on every required disk"]
    assert row(out, "su3")[6:8] == ["2.6 s ago", "alive (RESTARTING)"]
    assert row(out, "su4")[3] == "OFF" and row(out, "su4")[6:8] == ["9.0 s ago", "dead (LEFT)"]
    # a snapshot of an older master: no verdict, and a null age is "never" as before
    assert row(out, "su5")[6:8] == ["never", "-"]


def test_clusters_table(api, d):
    r = sectl(write_config(d, [api.addr]), "clusters")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    no_trailing_blanks(out)
    assert columns(out.splitlines()[1]) == ["Name", "Type", "Function", "Status"]
    assert row(out, "Management Cluster") == ["Management Cluster", "SE", "Management", "NORMAL"]
    assert row(out, "suc1") == ["suc1", "SU", "Live migration", "WARNING"]
    assert out.splitlines()[-1] == "Total: 2"
    assert json.loads(sectl(write_config(d, [api.addr]), "clusters", "--json").stdout) == CLUSTERS


# ---- events and audit ----

def test_events_table(api, d):
    r = sectl(write_config(d, [api.addr]), "events")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    no_trailing_blanks(out)
    lines = out.splitlines()
    assert columns(lines[0]) == ["Time", "Weight", "Unit", "Component", "Message"]
    # newest first, local time (TZ=UTC here) to the second
    assert columns(lines[1]) == ["2026-11-30 00:53:20", "WARNING", "mu2", "Cluster",
                                 "Network heartbeat of unit 'mu1' changed from 'NORMAL' to "
                                 "'NOT_ACCESSIBLE'"]
    assert columns(lines[3])[1:4] == ["NOTICE", "mu1", "M2000"]
    assert lines[-1] == "Total: 3 from 120"
    assert api.seen("/api/v1/events")[0]["query"] == {}
    # local time follows TZ
    r = sectl(write_config(d, [api.addr]), "events", env={"TZ": "Europe/Berlin"})
    assert columns(r.stdout.splitlines()[1])[0] == "2026-11-30 01:53:20"


def test_events_json_round_trip(api, d):
    r = sectl(write_config(d, [api.addr]), "events", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["total"] == 3 and j["all"] == 120
    assert [e["id"] for e in j["events"]] == [e["id"] for e in reversed(EVENTS)]


def test_events_filters_become_query_parameters(api, d):
    conf = write_config(d, [api.addr])
    r = sectl(conf, "events", "--current", "--weight", "warning", "--unit", "mu2",
              "--component", "Cluster", "--text", "heart beat&x=1", "--from",
              "2026-11-30T00:00:00", "--to", "1796000000999", "--offset", "5", "--limit", "10")
    assert r.returncode == 0, r.stderr
    q = api.seen("/api/v1/events")[-1]["query"]
    assert q == {"current": "1", "weight": "WARNING", "unit": "mu2", "component": "Cluster",
                 "text": "heart beat&x=1",
                 "from": str(calendar.timegm((2026, 11, 30, 0, 0, 0)) * 1000),
                 "to": "1796000000999", "offset": "5", "limit": "10"}
    # a page that shows part of the matches says which
    assert r.stdout.splitlines()[-1] == "Total: 3 from 120 (none on this page: offset 5)"
    # relative times: before now
    before = int(time.time() * 1000)
    assert sectl(conf, "events", "--from", "-10m", "--to", "-2h").returncode == 2  # from > to
    r = sectl(conf, "events", "--from", "-2h", "--to", "-10m")
    after = int(time.time() * 1000)
    assert r.returncode == 0, r.stderr
    q = api.seen("/api/v1/events")[-1]["query"]
    assert before - 7200000 - 1000 <= int(q["from"]) <= after - 7200000
    assert before - 600000 - 1000 <= int(q["to"]) <= after - 600000


@pytest.mark.parametrize("args,message", [
    (["--weight", "LOUD"], "--weight 'LOUD': not a weight"),
    (["--from", "2026-02-30T00:00:00"], "--from '2026-02-30T00:00:00': not a time"),
    (["--from", "yesterday"], "--from 'yesterday': not a time"),
    (["--limit", "1001"], "--limit '1001': not a number in 1..1000"),
    (["--offset", "-1"], "--offset '-1': not a number"),
    (["--follow", "--offset", "3"], "--follow shows the newest events"),
    (["--account", "admin"], "bad option"),
    (["stray"], "unexpected argument 'stray'"),
])
def test_events_bad_filters_are_usage_errors(api, d, args, message):
    r = sectl(write_config(d, [api.addr]), "events", *args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr, r.stderr
    assert "usage: sectl events" in r.stderr
    assert api.requests == []


def test_events_ack(api, d):
    r = sectl(write_config(d, [api.addr]), "events", "ack")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Acknowledged 7 events\n"
    req = api.seen("/api/v1/events/ack")
    assert len(req) == 1 and req[0]["method"] == "POST" and req[0]["auth"] == f"Bearer {TOKEN}"
    assert json.loads(req[0]["body"]) == {}
    api.fail["/api/v1/events/ack"] = (403, error("forbidden", "the role 'reader' may not "
                                                 "acknowledge events"))
    r = sectl(write_config(d, [api.addr]), "events", "ack")
    assert r.returncode == 1
    assert r.stderr == "sectl: the role 'reader' may not acknowledge events (HTTP 403 forbidden)\n"


def test_conflict_details_are_listed(api, d):
    api.fail["/api/v1/events/ack"] = (409, error("conflict", "refused", ["first thing",
                                                                          {"object": "x"}]))
    r = sectl(write_config(d, [api.addr]), "events", "ack")
    assert r.returncode == 1
    assert r.stderr == 'sectl: refused (HTTP 409 conflict)\n  - first thing\n  - {"object":"x"}\n'


def test_audit_table_and_filters(api, d):
    conf = write_config(d, [api.addr])
    r = sectl(conf, "audit")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    no_trailing_blanks(out)
    lines = out.splitlines()
    assert columns(lines[0]) == ["Date", "Unit", "Account", "Component", "Type", "Message"]
    assert columns(lines[1]) == ["2026-11-30 00:53:20", "mu1", "admin", "SEM",
                                 "Login successful", "Action=Login; Account=admin --> OK"]
    assert columns(lines[2])[4] == "Login failed"
    assert lines[-1] == "Total: 2 from 2"
    r = sectl(conf, "audit", "--account", "admin", "--type", "login FAILED", "--unit", "mu1",
              "--component", "SEM", "--text", "Login", "--from", "1795999990000", "--to",
              "2026-12-01T00:00:00Z", "--limit", "2")
    assert r.returncode == 0, r.stderr
    assert api.seen("/api/v1/audit")[-1]["query"] == {
        "account": "admin", "type": "Login failed", "unit": "mu1", "component": "SEM",
        "text": "Login", "from": "1795999990000",
        "to": str(calendar.timegm((2026, 12, 1, 0, 0, 0)) * 1000), "limit": "2"}
    assert json.loads(sectl(conf, "audit", "--json").stdout) == AUDIT
    r = sectl(conf, "audit", "--weight", "ERROR")  # events only
    assert r.returncode == 2 and "bad option" in r.stderr


def test_events_follow_prints_new_events_once_in_arrival_order(api, d):
    conf = write_config(d, [api.addr])
    e = dict(os.environ, TZ="UTC", SECTL_CONFIG=conf)
    p = subprocess.Popen([SECTL, "events", "--follow", "--limit", "2"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=e)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")),
                              daemon=True)
    reader.start()
    try:
        # the newest page (2 events), oldest first, under the header
        wait_for(lambda: len(lines) >= 3, 20, "the first page of --follow")
        assert columns(lines[0]) == ["Time", "Weight", "Unit", "Component", "Message"]
        assert "Cluster state of 'Management Cluster'" in lines[1]
        assert "Network heartbeat of unit 'mu1'" in lines[2]
        polls = len(api.seen("/api/v1/events"))
        wait_for(lambda: len(api.seen("/api/v1/events")) >= polls + 2, 20, "two more polls")
        assert len(lines) == 3  # nothing new: nothing printed
        # three new events arrive, one of them replicated late with an older time stamp:
        # more than a page (2), so --follow pages back until it meets a shown one
        with api.lock:
            api.events += [event(30, 1796000005000, "NOTICE", "mu1", "Master MU changed from "
                                 "'mu1' to 'mu2'"),
                           event(31, 1796000006000, "NOTICE", "mu1", "M2000 activated", "M2000"),
                           event(20, 1796000004000, "ERROR", "mu3", "late from mu3")]
        wait_for(lambda: len(lines) >= 6, 20, "the new events")
        polls = len(api.seen("/api/v1/events"))
        wait_for(lambda: len(api.seen("/api/v1/events")) >= polls + 2, 20, "two more polls")
        os.kill(p.pid, signal.SIGINT)
        assert p.wait(20) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    reader.join(10)
    text = "".join(lines)
    no_trailing_blanks(text)
    assert [l.split()[-1] for l in lines[3:]] == ["mu3", "'mu2'", "activated"]
    for msg in ("late from mu3", "M2000 activated", "Master MU changed", "Network heartbeat"):
        assert text.count(msg) == 1, text
    assert "M2000 deactivated" not in text  # older than the first page
    # every batch keeps the columns of the header
    assert len({l.index("NOTICE") if "NOTICE" in l else lines[1].index("WARNING")
                for l in lines[1:]}) == 1
    # the pages asked for
    offs = [r["query"].get("offset", "0") for r in api.seen("/api/v1/events")]
    assert "2" in offs


def test_events_follow_json_lines(api, d):
    conf = write_config(d, [api.addr])
    e = dict(os.environ, SECTL_CONFIG=conf)
    p = subprocess.Popen([SECTL, "events", "--follow", "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=e)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")),
                              daemon=True)
    reader.start()
    try:
        wait_for(lambda: len(lines) >= 3, 20, "the events as JSON lines")
        os.kill(p.pid, signal.SIGINT)
        assert p.wait(20) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    reader.join(10)
    assert [json.loads(l) for l in lines] == EVENTS


# ---- authentication, the token file, the address list ----

def test_401_exits_1_with_login_hint(api, d):
    r = sectl(write_config(d, [api.addr], token="expired.token"), "cluster", "status")
    assert r.returncode == 1
    assert r.stderr == ("sectl: missing or invalid session token (HTTP 401 unauthenticated); "
                        "run 'sectl login'\n")
    assert r.stdout == ""
    assert "expired.token" not in r.stderr


def test_not_logged_in(api, d):
    r = sectl(write_config(d, [api.addr], token=None), "units")
    assert r.returncode == 1
    assert f"not logged in: no token file '{os.path.join(d, 'sectl.token')}'; run 'sectl " \
           "login'" in r.stderr
    assert api.requests == []


def test_token_file_0644_refused(api, d):
    conf = write_config(d, [api.addr], mode=0o644)
    tok = os.path.join(d, "sectl.token")
    r = sectl(conf, "units")
    assert r.returncode == 1
    assert f"the token file '{tok}' has mode 0644; refused: it must be 0600" in r.stderr
    assert TOKEN not in r.stderr and TOKEN not in r.stdout
    assert api.requests == []
    os.chmod(tok, 0o600)
    assert sectl(conf, "units").returncode == 0


def test_token_file_relative_to_the_config(api, d):
    sub = os.path.join(d, "conf")
    os.mkdir(sub)
    conf = write_config(sub, [api.addr], token=None, extra="token_file = ../tok/my.token\n")
    os.mkdir(os.path.join(d, "tok"))
    tok = os.path.join(d, "tok", "my.token")
    fd = os.open(tok, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, TOKEN.encode())
    os.close(fd)
    r = sectl(conf, "units", cwd="/")
    assert r.returncode == 0, r.stderr
    # --config wins over SECTL_CONFIG
    r = sectl(os.path.join(d, "nonexistent.conf"), "units", "--config", conf)
    assert r.returncode == 0, r.stderr


def test_refused_first_address_falls_back_to_the_second(api, d):
    s, dead = refused_port()
    try:
        conf = write_config(d, [dead, api.addr])
        r = sectl(conf, "cluster", "status")
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""  # which address answered is said only with -v
        assert "Master MU" in r.stdout
        r = sectl(conf, "cluster", "status", "-v")
        assert r.returncode == 0
        assert f"sectl: API {dead}: connection refused" in r.stderr
        assert f"sectl: using API {api.addr}" in r.stderr
        assert TOKEN not in r.stderr
    finally:
        s.close()


def test_all_addresses_refused(d):
    s1, a1 = refused_port()
    s2, a2 = refused_port()
    try:
        r = sectl(write_config(d, [a1, a2]), "units")
        assert r.returncode == 1
        assert r.stderr == (f"sectl: no API address answered: {a1} (connection refused), "
                            f"{a2} (connection refused)\n")
    finally:
        s1.close()
        s2.close()


def test_silent_address_moves_reads_on_but_never_repeats_a_write(api, d):
    """An address that accepts connections and never answers (a hung MU)."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    addr = f"127.0.0.1:{hung.getsockname()[1]}"
    try:
        conf = write_config(d, [addr, api.addr], extra="timeout = 300ms\n")
        r = sectl(conf, "units", "-v")
        assert r.returncode == 0, r.stderr
        assert f"sectl: API {addr}: no answer within 300 ms" in r.stderr
        r = sectl(conf, "events", "ack")
        assert r.returncode == 1
        assert f"{addr}: no answer within 300 ms after the request was sent; not sent again" \
            in r.stderr
        assert api.seen("/api/v1/events/ack") == []
    finally:
        hung.close()


@pytest.mark.parametrize("text,message", [
    ("[sectl]\napi = 127.0.0.1:1\nbogus = 1\n", "sectl.conf:3: unknown key 'bogus' in [sectl]"),
    ("[other]\napi = 127.0.0.1:1\n", "sectl.conf:2: unknown section '[other]'"),
    ("[sectl]\ntoken_file = x\n", "no key 'api' in [sectl]"),
    ("[sectl]\napi = 127.0.0.1:1,\n", "sectl.conf:2: key 'api': an empty address"),
    ("[sectl]\napi = localhost\n", "sectl.conf:2: key 'api': 'localhost' is not an address"),
    ("[sectl]\napi = 127.0.0.1:1\napi = 127.0.0.1:2\n",
     "sectl.conf:3: key 'api' given twice (first on line 2)"),
    ("[sectl]\napi = 127.0.0.1:1\ntimeout = soon\n",
     "sectl.conf:3: key 'timeout': 'soon' is not a duration"),
])
def test_bad_config_is_a_usage_error(d, text, message):
    conf = os.path.join(d, "sectl.conf")
    with open(conf, "w") as f:
        f.write(text)
    r = sectl(conf, "units")
    assert r.returncode == 2
    assert message in r.stderr, r.stderr


def test_no_config_is_a_usage_error(d):
    r = sectl(None, "cluster", "status")
    assert r.returncode == 2
    assert "give --config FILE or set SECTL_CONFIG" in r.stderr


# ---- login and logout ----

def test_login_with_password_file(api, d):
    conf = write_config(d, [api.addr], token=None)
    pw = os.path.join(d, "pw")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\nsecond line ignored\n")
    os.umask(0o022)
    r = sectl(conf, "login", "--password-file", pw)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (f"Logged in as admin (administrator) on {api.addr}; session valid "
                        "until 2026-11-30 00:53 UTC\n")
    tok = os.path.join(d, "sectl.token")
    st = os.stat(tok)
    assert st.st_mode & 0o777 == 0o600
    assert open(tok).read() == TOKEN + "\n"
    assert [f for f in os.listdir(d) if ".tmp." in f] == []
    login = api.seen("/api/v1/login")[0]
    assert json.loads(login["body"]) == {"account": "admin", "password": PASSWORD}
    assert login["auth"] is None
    for out in (r.stdout, r.stderr):
        assert PASSWORD not in out and TOKEN not in out
    # the token works
    assert sectl(conf, "units").returncode == 0
    # logging in again replaces the token file, also one of a wrong mode
    os.chmod(tok, 0o644)
    api.token = TOKEN + "2"
    assert sectl(conf, "login", "--password-file", pw).returncode == 0
    assert os.stat(tok).st_mode & 0o777 == 0o600 and open(tok).read() == TOKEN + "2\n"


def test_login_failed(api, d):
    conf = write_config(d, [api.addr], token=None)
    pw = os.path.join(d, "pw")
    with open(pw, "w") as f:
        f.write("wrong-password-here\n")
    r = sectl(conf, "login", "--password-file", pw, "--account", "admin")
    assert r.returncode == 1
    assert r.stderr == "sectl: login failed (HTTP 401 unauthenticated)\n"
    assert "wrong-password-here" not in r.stderr + r.stdout
    assert not os.path.exists(os.path.join(d, "sectl.token"))
    # no password on the command line, no terminal to ask on
    r = sectl(conf, "login", PASSWORD)
    assert r.returncode == 2 and "never given on the command line" in r.stderr
    assert PASSWORD not in r.stderr  # a stray argument may be the password: not echoed
    r = subprocess.run([SECTL, "login", "--config", conf], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, start_new_session=True, timeout=30)
    assert r.returncode == 1 and "use --password-file FILE" in r.stderr


def test_logout(api, d):
    conf = write_config(d, [api.addr])
    tok = os.path.join(d, "sectl.token")
    r = sectl(conf, "logout")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"Logged out on {api.addr}; removed '{tok}'\n"
    assert not os.path.exists(tok)
    req = api.seen("/api/v1/logout")
    assert len(req) == 1 and req[0]["auth"] == f"Bearer {TOKEN}"
    r = sectl(conf, "logout")
    assert r.returncode == 1 and "not logged in" in r.stderr
    # an expired session: the file goes all the same
    conf = write_config(d, [api.addr], token="expired.token")
    r = sectl(conf, "logout")
    assert r.returncode == 0 and "the session had already ended" in r.stdout
    assert not os.path.exists(tok)


def test_login_asks_on_the_terminal_without_echo(api, d):
    """sectl login on a pseudo-terminal: the prompt, the password typed, no echo of it."""
    import pty, select
    conf = write_config(d, [api.addr], token=None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(SECTL, [SECTL, "login", "--config", conf], dict(os.environ, TZ="UTC"))
    out = b""
    try:
        def read_until(what):
            nonlocal out
            def more():
                nonlocal out
                if not select.select([fd], [], [], 0.1)[0]:  # never block past the deadline
                    return False
                try:
                    out += os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    return True
                return what in out
            wait_for(more, 20, f"{what!r} on the terminal", interval=0)
            assert what in out, out
        read_until(b"password for account 'admin': ")
        os.write(fd, (PASSWORD + "\n").encode())
        read_until(b"UTC")
        _, status = os.waitpid(pid, 0)
        pid = 0
        assert os.waitstatus_to_exitcode(status) == 0, out
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert PASSWORD.encode() not in out
    assert b"Logged in as admin (administrator) on " + api.addr.encode() in out
    assert os.stat(os.path.join(d, "sectl.token")).st_mode & 0o777 == 0o600

"""`sectl systems`, `sectl sdf`, `sectl console` against the fake REST API of
test_sectl_client.py (issue 4 "API and CLI"; seed 2.3 systems overview, 4.3 VM2000 commands;
docs/api.md "Server Units").

Checked: the systems table of seed 2.3 (headers, a row of an SU that did not answer), --json
as the server's answer; sdf prints the SU's messages and the NBR0740 result line, exits 0
when the command completed and 1 when it failed or the SU is unknown, sends the command as
it was typed; console prints timestamped lines, --vm becomes the query, --follow polls
with the `after` cursor and prints each line once until SIGINT; usage errors exit 2. Every
process is ended by its PID; waits have deadlines.
"""
import json, os, signal, subprocess, threading
import pytest
from lab import SECTL, wait_for
from test_sectl_client import FakeAPI, TOKEN, columns, error, no_trailing_blanks, row, \
    sectl, write_config

SYSTEMS = {"systems": [
    {"name": "MONITOR", "vm_index": 1, "host_name": "su1", "type": "BS2000 (monitor)",
     "os": "VM2000", "server": "server1", "unit": "su1", "description": "", "status": "RUNNING",
     "state": "RUNNING", "reachable": True},
    {"name": "G1", "vm_index": 2, "host_name": "G1", "type": "BS2000 (guest)",
     "os": "demo guest", "server": "server1", "unit": "su1", "description": "demo",
     "status": "RUNNING", "state": "RUNNING", "reachable": True},
    {"name": "MONITOR", "vm_index": 1, "host_name": "su2", "type": "BS2000 (monitor)",
     "os": "VM2000", "server": "server2", "unit": "su2", "description": "",
     "status": "NOT_ACCESSIBLE", "state": "NOT_ACCESSIBLE", "reachable": False,
     "error": "did not answer"}],
    "sus": 2, "unreachable": 1}


class FakeSUAPI(FakeAPI):
    """The fake MU with the SU routes: su1 exists, /START-VM of G9 fails, the console of
    su1 grows by what the test appends to console_lines."""

    def __init__(self):
        self.console_lines = [{"seq": i, "time": f"2026-11-30T05:00:0{i}.000Z",
                               "text": f"% VMS3000 line {i}"} for i in (1, 2, 3)]
        super().__init__()

    def route(self, method, path, query, body, auth):
        if auth == f"Bearer {self.token}":
            if path == "/api/v1/systems" and method == "GET":
                return 200, SYSTEMS
            if path.startswith("/api/v1/sus/") and not path.startswith("/api/v1/sus/su1/"):
                return 404, error("not_found", f"no SU '{path.split('/')[4]}' in the cluster")
            if path == "/api/v1/sus/su1/sdf" and method == "POST":
                cmd = json.loads(body)["command"]
                ok = "G9" not in cmd
                return 200, {"su": "su1", "command": cmd,
                             "messages": ["% VMS3000 VM2000 COMMAND /START-VM PROCESSED "
                                          "SUCCESSFULLY"] if ok else
                                         ["% VMS2033 VIRTUAL MACHINE (*,G9) NOT DEFINED"],
                             "rc": {"maincode": "CMD0001" if ok else "VMS2033",
                                    "subcode1": 0 if ok else 64, "subcode2": 0},
                             "ok": ok}
            if path == "/api/v1/sus/su1/console" and method == "GET":
                after = int(query.get("after", ["0"])[0])
                limit = int(query.get("limit", ["200"])[0])
                with self.lock:
                    new = [l for l in self.console_lines if l["seq"] > after][:limit]
                    nxt = (new[-1]["seq"] if new else after) + 1
                return 200, {"su": "su1", "vm": query.get("vm", [None])[0], "lines": new,
                             "next": nxt}
        return super().route(method, path, query, body, auth)


@pytest.fixture
def api():
    a = FakeSUAPI()
    yield a
    a.close()


@pytest.fixture
def conf(api, tmp_path):
    return write_config(str(tmp_path), [api.addr])


def test_systems_table(api, conf):
    r = sectl(conf, "systems")
    assert r.returncode == 0, r.stderr
    no_trailing_blanks(r.stdout)
    lines = r.stdout.splitlines()
    assert columns(lines[0]) == ["Name", "Host name", "Type", "Operating system", "Server",
                                 "Unit", "Description", "Status"]
    assert row(r.stdout, "G1") == ["G1", "G1", "BS2000 (guest)", "demo guest", "server1", "su1",
                                   "demo", "RUNNING"]
    assert columns(lines[3])[-1] == "NOT_ACCESSIBLE (SU not answering)"
    assert "Total: 3" in lines and \
        "1 SU did not answer: its monitor is shown from the status snapshot" in lines


def test_systems_json_is_the_answer(api, conf):
    r = sectl(conf, "systems", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j == SYSTEMS
    for s in j["systems"]:
        assert {"name", "vm_index", "unit", "server", "status"} <= set(s)


def test_sdf_completed(api, conf):
    r = sectl(conf, "sdf", "su1", "/start-vm vm-name=g1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "% VMS3000 VM2000 COMMAND /START-VM PROCESSED SUCCESSFULLY",
        "% NBR0740 COMMAND COMPLETED 'START-VM'; (RESULT: SC2=000, SC1=000, MC=CMD0001)"]
    sent = api.seen("/api/v1/sus/su1/sdf", "POST")
    assert [json.loads(s["body"]) for s in sent] == [{"command": "/start-vm vm-name=g1"}]
    assert sent[0]["auth"] == f"Bearer {TOKEN}"


def test_sdf_command_after_double_dash(api, conf):
    r = sectl(conf, "sdf", "--json", "su1", "--", "-not-an-option")
    assert r.returncode == 0, r.stderr
    assert json.loads(api.seen("/api/v1/sus/su1/sdf")[-1]["body"]) == {"command": "-not-an-option"}


def test_sdf_failed_exits_1(api, conf):
    r = sectl(conf, "sdf", "su1", "/START-VM VM-NAME=G9")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "% VMS2033 VIRTUAL MACHINE (*,G9) NOT DEFINED",
        "% NBR0740 COMMAND TERMINATED WITH ERROR 'START-VM'; (RESULT: SC2=000, SC1=064, "
        "MC=VMS2033)"]
    r = sectl(conf, "sdf", "su1", "/START-VM VM-NAME=G9", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["ok"] is False


def test_sdf_unknown_su(api, conf):
    r = sectl(conf, "sdf", "su7", "/SHOW-VM-ATTRIBUTES")
    assert r.returncode == 1
    assert r.stderr == "sectl: no SU 'su7' in the cluster (HTTP 404 not_found)\n"


@pytest.mark.parametrize("args,message", [
    ((), "missing SU"),
    (("su1",), "missing COMMAND"),
    (("su1", "  "), "COMMAND must be 1..4096 characters"),
    (("su1", "/A", "/B"), "unexpected argument '/B'"),
    (("su1", "/A", "--bogus"), "bad option"),
])
def test_sdf_usage(api, conf, args, message):
    r = sectl(conf, "sdf", *args)
    assert r.returncode == 2 and message in r.stderr and "usage: sectl sdf SU" in r.stderr
    assert not api.seen("/api/v1/sus/su1/sdf")


def test_console_prints_lines_with_time(api, conf):
    r = sectl(conf, "console", "su1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"2026-11-30T05:00:0{i}.000Z  % VMS3000 line {i}"
                                     for i in (1, 2, 3)]
    r = sectl(conf, "console", "su1", "--vm", "G1", "--after", "2", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert [l["seq"] for l in j["lines"]] == [3] and j["vm"] == "G1" and j["next"] == 4
    q = api.seen("/api/v1/sus/su1/console")[-1]["query"]
    assert q["vm"] == "G1" and q["after"] == "2" and q["limit"] == "1000"


def test_console_follow_uses_the_cursor(api, conf):
    e = dict(os.environ, SECTL_CONFIG=conf)
    p = subprocess.Popen([SECTL, "console", "su1", "--follow"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=e)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")),
                              daemon=True)
    reader.start()
    try:
        wait_for(lambda: len(lines) >= 3, 20, "the console so far")
        polls = len(api.seen("/api/v1/sus/su1/console"))
        wait_for(lambda: len(api.seen("/api/v1/sus/su1/console")) >= polls + 2, 20,
                 "two more polls")
        assert len(lines) == 3
        assert api.seen("/api/v1/sus/su1/console")[-1]["query"]["after"] == "3"
        with api.lock:
            api.console_lines.append({"seq": 4, "time": "2026-11-30T05:00:09.000Z",
                                      "text": "GUEST n=1 check=ok"})
        wait_for(lambda: len(lines) >= 4, 20, "the new line")
        os.kill(p.pid, signal.SIGINT)
        assert p.wait(20) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    reader.join(10)
    assert lines[3] == "2026-11-30T05:00:09.000Z  GUEST n=1 check=ok\n"
    assert len(lines) == 4


def test_console_unknown_su_and_usage(api, conf):
    r = sectl(conf, "console", "su7")
    assert r.returncode == 1 and "no SU 'su7' in the cluster" in r.stderr
    r = sectl(conf, "console", "su1", "--after", "-1")
    assert r.returncode == 2 and "--after '-1'" in r.stderr
    r = sectl(conf, "console")
    assert r.returncode == 2 and "missing SU" in r.stderr

"""The MU side of the SU API against a fake SU (issue 4 "API and CLI"; docs/api.md "Server
Units"): a lab of one real MU (secd) with two simulated SUs (sim1, sim2: in the topology,
no secd). A Python HTTP server on sim1's API address plays the SU; sim2 answers nothing.

Checked: POST /api/v1/sus/{name}/sdf is relayed to sim1 as a unit-signed call (X-Sec-Unit,
X-Sec-Auth) with the command and the person's account, the answer relayed as it is, and
audited (Start, then OK or Failed with the main code; component Sys-Mgmt); the console
query (vm, after, limit) reaches the SU; GET /api/v1/systems merges sim1's list with sim2's
monitor row from the status snapshot ("reachable": false); an unknown name and an MU are
404 naming them, an SU that does not answer 503 naming it (audited Failed). The end-to-end
SU (a real secd --role su) is tested with the SU code (tests/integration). Every process
is ended by its PID; waits have deadlines.
"""
import json
import pytest
from cluster_lab import Lab
from fakesu import FakeSU
from lab import wait_for

T = 15


@pytest.fixture(scope="module")
def su_lab(tmp_path_factory):
    """One lab for the module (each test leaves it as it found it)."""
    lb = Lab(str(tmp_path_factory.mktemp("su_api")), servers=1, mus=1, sim=2)
    try:
        yield from _su_lab(lb)
    finally:
        lb.down()


def _su_lab(lb):
    st = lb.status()
    sim1 = next(u for u in st["units"] if u["name"] == "sim1")
    fake = FakeSU(sim1["api"], "sim1")
    mu = lb.units("MU")[0]
    wait_for(lambda: (lb.try_status(mu) or {}).get("master_mu"), T, "a Master MU")
    r = lb.sectl("login", "--password-file", f"{lb.dir}/admin.password")
    assert r.returncode == 0, r.stderr
    yield lb, mu, fake
    fake.close()


def audit(lb, mu, text):
    st, b = lb.call(mu, "GET", "/api/v1/audit?limit=100&text=" + text.replace(" ", "%20"))
    assert st == 200, b
    return [(e["type"], e["component"], e["message"]) for e in b["entries"]]


def test_sdf_relayed_signed_and_audited(su_lab):
    lb, mu, fake = su_lab
    r = lb.sectl("sdf", "sim1", "/START-VM VM-NAME=G1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(fake.seen("/api/v1/internal/sdf")) == 1
    assert r.stdout.splitlines() == [
        "% VMS3000 PROCESSED SUCCESSFULLY",
        "% NBR0740 COMMAND COMPLETED 'START-VM'; (RESULT: SC2=000, SC1=000, MC=CMD0001)"]
    req = fake.seen("/api/v1/internal/sdf")[0]
    assert json.loads(req["body"]) == {"command": "/START-VM VM-NAME=G1", "user": "admin"}
    assert req["unit"] and req["auth"] and req["bearer"] is None  # the MU's key, no token
    r = lb.sectl("sdf", "sim1", "/START-VM VM-NAME=G9")
    assert r.returncode == 1 and "MC=VMS2033" in r.stdout
    entries = wait_for(lambda: (lambda a: a if len(a) >= 4 else None)(
        audit(lb, mu, "VM2000 command")), T, "four audit entries")
    assert ("OK", "Sys-Mgmt", "Action=VM2000 command; SU=sim1; Command=/START-VM VM-NAME=G1 "
            "--> OK") in entries
    assert ("Start", "Sys-Mgmt", "Action=VM2000 command; SU=sim1; Command=/START-VM "
            "VM-NAME=G1") in entries
    assert ("Failed", "Sys-Mgmt", "Action=VM2000 command; SU=sim1; Command=/START-VM "
            "VM-NAME=G9 --> Failed (VMS2033)") in entries


def test_sdf_unknown_mu_and_silent_su(su_lab):
    lb, mu, fake = su_lab
    relayed = len(fake.seen("/api/v1/internal/sdf"))
    st, b = lb.call(mu, "POST", "/api/v1/sus/nosuch/sdf", {"command": "/SHOW-VM-ATTRIBUTES"})
    assert st == 404 and b["error"]["message"] == "no SU 'nosuch' in the cluster"
    st, b = lb.call(mu, "POST", f"/api/v1/sus/{mu['name']}/sdf", {"command": "/X"})
    assert st == 404 and b["error"]["message"] == f"unit '{mu['name']}' is an MU, not an SU"
    st, b = lb.call(mu, "POST", "/api/v1/sus/sim1/sdf", {"command": " "})
    assert st == 400 and "\"command\"" in b["error"]["message"]
    assert len(fake.seen("/api/v1/internal/sdf")) == relayed  # nothing bad was relayed
    r = lb.sectl("sdf", "sim2", "/SHOW-VM-ATTRIBUTES")
    assert r.returncode == 1
    assert "sectl: SU 'sim2' did not answer (" in r.stderr and "HTTP 503 su_unreachable" in r.stderr
    entries = wait_for(lambda: (lambda a: a if len(a) >= 2 else None)(
        audit(lb, mu, "SU=sim2")), T, "the audit entries of the command to sim2")
    assert any(t == "Failed" and "--> Failed (SU 'sim2' did not answer" in m
               for t, _, m in entries), entries


def test_console_query_reaches_the_su(su_lab):
    lb, mu, fake = su_lab
    st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/console?vm=G1&after=6&limit=5")
    assert st == 200, b
    assert b == {"su": "sim1", "vm": "G1", "next": 8, "lines": [
        {"seq": 7, "time": "2026-11-30T05:01:02.123Z", "text": "GUEST n=3 check=ok"}]}
    q = fake.seen("/api/v1/internal/console")[-1]
    assert q["query"] == {"vm": ["G1"], "after": ["6"], "limit": ["5"]} and q["unit"]
    st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/console")
    assert st == 200
    assert fake.seen("/api/v1/internal/console")[-1]["query"] == {"after": ["0"],
                                                                 "limit": ["200"]}
    # the SU's own error, said to be the SU's
    st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/console?vm=NOVM")
    assert st == 404 and b["error"]["message"] == "SU 'sim1': no VM 'NOVM'"
    for q, what in (("vm=a%20b", "'vm'"), ("after=x", "'after'"), ("limit=0", "'limit'"),
                    ("limit=1001", "'limit'")):
        st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/console?" + q)
        assert st == 400 and what in b["error"]["message"], (q, b)
    r = lb.sectl("console", "sim1", "--vm", "G1")
    assert r.returncode == 0 and r.stdout == "2026-11-30T05:01:02.123Z  GUEST n=3 check=ok\n"


def test_systems_merged_with_the_silent_su(su_lab):
    lb, mu, fake = su_lab
    st, b = lb.call(mu, "GET", "/api/v1/systems", timeout=15)
    assert st == 200, b
    assert b["sus"] == 2 and b["unreachable"] == 1
    rows = [(s["unit"], s["name"], s["reachable"]) for s in b["systems"]]
    assert rows == [("sim1", "MONITOR", True), ("sim1", "G1", True), ("sim2", "MONITOR", False)]
    silent = b["systems"][2]
    assert silent["vm_index"] == 1 and silent["host_name"] == "sim2"
    assert silent["status"] not in ("RUNNING", None) and "did not answer" in silent["error"]
    r = lb.sectl("systems")
    assert r.returncode == 0, r.stderr
    assert "(SU not answering)" in r.stdout and "Total: 3" in r.stdout

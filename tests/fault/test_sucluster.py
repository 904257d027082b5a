"""SU Clusters on a running cluster (issue 5 "SU Clusters"; seed 3.1, 3.3; status.md §3):
`sectl sucluster` through the Master MU, the status the Cluster Manager computes, its
events, the refusals and their audit entries.

One lab per module: 2 SE Servers with 1 MU and 1 SU each, timing profile `test`, started
with `--su-cluster` (SU Cluster SUC1 of su1 and su2). The tests run in file order and each
leaves SUC1 active and NORMAL. Waits use deadlines, never fixed sleeps."""
import json, os, signal

import pytest

from cluster_lab import Lab, wait_seen
from lab import wait_for
from lmlab import sdf  # noqa: E402

SUC = "SUC1"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = Lab(str(tmp_path_factory.mktemp("suc")), servers=2, mus=1, sus=1, profile="test",
             su_cluster=True)
    try:
        assert f"SU Cluster '{SUC}' of the SUs 'su1' and 'su2': NORMAL" in lb.up.stdout, \
            lb.up.stdout
        r = lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
        assert r.returncode == 0, r.stderr
        yield lb
    finally:
        lb.down()


def sectl_json(lab, *args):
    r = lab.sectl(*args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def show(lab, name=SUC):
    return sectl_json(lab, "sucluster", "show", name)["su_cluster"]


def status(lab, name=SUC):
    return show(lab, name)["status"]


def wait_status(lab, want, timeout=15, name=SUC):
    wait_seen(lambda: (lambda s: (s == want, s))(status(lab, name)), timeout,
              f"SU Cluster {name} {want}")


def has_event(lab, msg, unit="mu2"):
    """msg is an event on unit's API (mu2: not the master, so replication is covered)."""
    return any(e["message"] == msg for e in lab.events(unit, text=msg))


def test_lab_option_made_suc1(lab):
    """`lab up --su-cluster` made SUC1 of the first SU of each server through the API."""
    lst = sectl_json(lab, "sucluster", "list")["su_clusters"]
    assert [(s["name"], s["units"], s["active"], s["fencing"]) for s in lst] == \
        [(SUC, ["su1", "su2"], True, "self")]
    wait_for(lambda: has_event(lab, f"SU Cluster '{SUC}' created with the SUs 'su1' and "
                                    f"'su2'"), 10, "the created event")
    # the cluster overview (sectl clusters) has it as a cluster of type SU
    rows = sectl_json(lab, "clusters")["clusters"]
    assert {"name": SUC, "type": "SU", "function": "Live migration", "status": "NORMAL"} in rows


def test_delete_and_create(lab):
    r = lab.sectl("sucluster", "delete", SUC)
    assert r.returncode == 0 and f"SU Cluster '{SUC}' deleted" in r.stdout, r.stdout + r.stderr
    assert sectl_json(lab, "sucluster", "list")["su_clusters"] == []
    r = lab.sectl("sucluster", "show", SUC)
    assert r.returncode == 1 and f"SU Cluster '{SUC}' does not exist" in r.stderr
    wait_for(lambda: has_event(lab, f"SU Cluster '{SUC}' deleted"), 10, "the deleted event")
    r = lab.sectl("sucluster", "create", SUC, "--units", "su2,su1", "--fencing", "none")
    assert r.returncode == 0, r.stderr
    assert f"SU Cluster '{SUC}' created with the SUs 'su2' and 'su1'" in r.stdout
    wait_status(lab, "NORMAL")
    s = show(lab)
    assert s["fencing"] == "none" and s["units"] == ["su2", "su1"] and s["su_type"] == "x86"
    assert s["function"] == "Live migration" and s["reasons"] == []


def test_show_units_table(lab):
    """The units table of seed 3.3, for people and as JSON."""
    wait_status(lab, "NORMAL")
    rows = {r["unit"]: r for r in show(lab)["units_table"]}
    assert set(rows) == {"su1", "su2"}  # SU x86: no MU rows
    for name, server in (("su1", "server1"), ("su2", "server2")):
        row = rows[name]
        alive = {k: row.pop(k) for k in ("alive_age_ms", "alive_verdict", "alive_reason",
                                         "alive_state", "dead_bound_ms")}
        assert row == {"unit": name, "role": "SU", "model": "SU x86", "server": server,
                       "operation_mode": "VM2000", "power_status": "ON",
                       "crd_disks": "NORMAL", "network_heartbeat": "NORMAL"}
        # the alive message as the Master MU observes it (crd.md §4): changing, RUNNING
        assert alive["alive_verdict"] == "alive" and alive["alive_state"] == "RUNNING", alive
        assert 0 <= alive["alive_age_ms"] < alive["dead_bound_ms"], alive
    r = lab.sectl("sucluster", "show", SUC)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(l.split() == ["Status", "summary:", "NORMAL"] for l in lines), r.stdout
    head = next(i for i, l in enumerate(lines) if l.startswith("Unit "))
    assert lines[head].split("  ")[0] == "Unit" and "Operation mode" in lines[head] \
        and lines[head].endswith("Network heartbeat  Alive msg  Verdict")
    cells = lines[head + 1].split()
    assert cells[:8] == ["su2", "SU", "x86", "server2", "VM2000", "ON", "NORMAL", "NORMAL"]
    assert cells[9:] == ["s", "ago", "alive"], lines[head + 1]
    assert lines[-1] == "Total: 2"


def test_deactivate_activate(lab):
    """INACTIVE after deactivate (through mu2: forwarded to the master), NORMAL after
    activate, each with its events."""
    wait_status(lab, "NORMAL")
    st, b = lab.call("mu2", "POST", f"/api/v1/suclusters/{SUC}/deactivate")
    assert st == 200 and b["su_cluster"]["active"] is False, b
    wait_status(lab, "INACTIVE")
    assert show(lab)["reasons"] == ["deactivated by an administrator"]
    wait_for(lambda: has_event(lab, f"Cluster state of '{SUC}' changed from 'NORMAL' to "
                                    f"'INACTIVE'"), 10, "the INACTIVE event")
    assert has_event(lab, f"SU Cluster '{SUC}' deactivated")
    r = lab.sectl("sucluster", "list")
    assert any(l.split()[:1] == [SUC] and "INACTIVE" in l.split() for l in r.stdout.splitlines())
    r = lab.sectl("sucluster", "activate", SUC)
    assert r.returncode == 0 and f"SU Cluster '{SUC}' activated" in r.stdout, r.stderr
    wait_status(lab, "NORMAL")
    wait_for(lambda: has_event(lab, f"Cluster state of '{SUC}' changed from 'INACTIVE' to "
                                    f"'NORMAL'"), 10, "the NORMAL event")


def refused(lab, args, rc, text):
    r = lab.sectl(*args)
    assert r.returncode == rc and text in r.stderr, f"{args}: {r.returncode} {r.stderr}"
    return r


def test_refusals_change_nothing(lab):
    refused(lab, ["sucluster", "create", "X", "--units", "su1,su9"], 1,
            "su_cluster.units[1]: 'su9' is not a unit of the cluster (HTTP 400")
    refused(lab, ["sucluster", "create", "X", "--units", "mu1,su2"], 1,
            "su_cluster.units[0]: 'mu1' is an MU, not an SU (HTTP 400")
    refused(lab, ["sucluster", "create", "X", "--units", "su1,su1"], 1,
            "'su1' is named twice")
    r = refused(lab, ["sucluster", "create", "X", "--units", "su1,su2"], 1,
                "SU Cluster 'X' cannot be created: SU 'su1' already in SU Cluster 'SUC1' (an "
                "SU belongs to at most one SU Cluster) (HTTP 409 conflict)")
    assert "  - unit 'su2': already in SU Cluster 'SUC1'" in r.stderr
    refused(lab, ["sucluster", "create", SUC, "--units", "su1,su2"], 1, "HTTP 409")
    refused(lab, ["sucluster", "activate", "NOPE"], 1,
            "SU Cluster 'NOPE' does not exist (HTTP 404")
    refused(lab, ["sucluster", "delete", "NOPE"], 1, "(HTTP 404")
    refused(lab, ["sucluster", "create", "X", "--units", "su1"], 2, "exactly two SU names")
    refused(lab, ["sucluster", "create", "a.b", "--units", "su1,su2"], 2,
            "'a.b' is not an SU Cluster name")
    # an SU of an SU Cluster is not removed from the cluster: the SU Cluster is named first
    refused(lab, ["unit", "remove", "su1"], 1,
            "SU 'su1' is in SU Cluster 'SUC1': delete the SU Cluster first")
    # SU types differ: an SU /390 in the topology only (it never runs, so it can go again)
    r = lab.sectl("unit", "add", "su9", "--unit-id", "99", "--role", "su", "--su-type", "390",
                  "--server", "server2", "--api", "127.0.0.9:9", "--heartbeat", "127.0.0.9:10")
    assert r.returncode == 0, r.stderr
    try:
        refused(lab, ["sucluster", "create", "X", "--units", "su1,su9"], 1,
                "su_cluster.units: 'su1' is an SU x86 and 'su9' an SU 390 (both SUs need the "
                "same SU type)")
    finally:
        r = lab.sectl("unit", "remove", "su9")
        assert r.returncode == 0, r.stderr
    lst = sectl_json(lab, "sucluster", "list")["su_clusters"]
    assert [(s["name"], s["units"], s["active"]) for s in lst] == [(SUC, ["su2", "su1"], True)]


def test_writes_are_for_people_with_a_token(lab):
    for method, path in (("GET", "/api/v1/suclusters"), ("GET", f"/api/v1/suclusters/{SUC}"),
                         ("POST", "/api/v1/suclusters"),
                         ("POST", f"/api/v1/suclusters/{SUC}/activate"),
                         ("POST", f"/api/v1/suclusters/{SUC}/deactivate"),
                         ("DELETE", f"/api/v1/suclusters/{SUC}")):
        st, b = lab.call("mu1", method, path, body={} if method == "POST" else None,
                         token=False)
        assert st == 401, (method, path, st, b)
    assert status(lab) == "NORMAL"


def test_audit_entries(lab):
    """Every SU Cluster change is audited; entries made on another MU arrive by replication
    (pull), so wait for them with a deadline."""
    want_ok = ["Action=CreateSUCluster; SUCluster=SUC1; Units=su2,su1; Fencing=none --> OK",
               "Action=DeactivateSUCluster; SUCluster=SUC1 --> OK",
               "Action=ActivateSUCluster; SUCluster=SUC1 --> OK",
               "Action=DeleteSUCluster; SUCluster=SUC1 --> OK"]
    seen = {}

    def entries():
        r = lab.sectl("audit", "--json", "--text", "SUCluster")
        assert r.returncode == 0, r.stderr
        msgs = [(a["type"], a["message"]) for a in json.loads(r.stdout)["entries"]]
        seen["msgs"] = msgs
        return (all(("OK", m) in msgs for m in want_ok) and
                any(t == "Failed" and m.startswith("Action=CreateSUCluster; SUCluster=X; "
                                                   "Units=su1,su9; Fencing=self --> ")
                    for t, m in msgs) and
                ("Start", "Action=ActivateSUCluster; SUCluster=NOPE") in msgs)
    try:
        wait_for(entries, 20, "every audit entry of the SU Cluster changes")
    except AssertionError as e:
        raise AssertionError(f"{e}; seen: {seen.get('msgs')}")


def test_su_secd_killed_then_restarted(lab):
    """kill -9 of su1's secd: ERROR with its event; restarted: NORMAL again."""
    wait_status(lab, "NORMAL")
    lab.kill("su1", signal.SIGKILL)
    wait_status(lab, "ERROR", timeout=20)
    assert "an SU is NOT_ACCESSIBLE" in show(lab)["reasons"]
    rows = {r["unit"]: r for r in show(lab)["units_table"]}
    assert rows["su1"]["network_heartbeat"] == "NOT_ACCESSIBLE"
    wait_for(lambda: has_event(lab, f"Cluster state of '{SUC}' changed from 'NORMAL' to "
                                    f"'ERROR'"), 10, "the ERROR event")
    r = lab.sectl("lab", "start", "--dir", lab.dir, "su1")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_status(lab, "NORMAL", timeout=20)
    wait_for(lambda: has_event(lab, f"Cluster state of '{SUC}' changed from 'ERROR' to "
                                    f"'NORMAL'"), 10, "the NORMAL event")


def test_check_vm_migration(lab):
    """/CHECK-VM-MIGRATION on su1's monitor reads su2's VM definitions from the CRD and
    reports every conflict (vm2000.md §5), the tape as a detach warning; an INACTIVE SU
    Cluster is a conflict; nothing changes on either SU."""
    wait_for(lambda: sdf(lab, "su1", "/SHOW-VM-RESOURCES")[0] == 0 and
             sdf(lab, "su2", "/SHOW-VM-RESOURCES")[0] == 0, 30, "both SUs serving")
    rc, res = sdf(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=LM1,VM-INDEX=5,MEMORY-SIZE=64,"
                              "DEVICES=*PARAMETERS(UNITS=(A003,T0))")
    assert rc == 0, res
    rc, res = sdf(lab, "su1", "/ACTIVATE-VM-DEFINITION VM-NAME=LM1")
    assert rc == 0, res
    try:
        # the SUs re-read the global data every few seconds: the new SU Cluster shows soon
        res = wait_for(lambda: (lambda r: r if any("VMS2460" in m for m in r["messages"])
                                else None)(sdf(lab, "su1", "/CHECK-VM-MIGRATION VM-ID=LM1")[1]),
                       15, "su1 knowing its SU Cluster (VMS2460)")
        assert any("VMS2471" in m and "T0" in m for m in res["messages"]), res
        # conflicts on su2: the name, the VM index, the memory — all reported at once
        rc, res = sdf(lab, "su2", "/CREATE-VM-DEFINITION VM-NAME=LM1,VM-INDEX=5,"
                                  "MEMORY-SIZE=4090")
        assert rc == 0, res
        rc, res = sdf(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=LM1")
        assert rc == 0, res
        rc, res = sdf(lab, "su1", "/CHECK-VM-MIGRATION VM-ID=LM1,SERVER-UNIT-NAME=su2")
        text = "\n".join(res["messages"])
        assert res["rc"]["maincode"] == "VMS2461" and "VMS2461" in text, res
        for why in ("VMS4013", "VMS4011", "VMS4504"):
            assert f"REASON: {why}" in text, (why, text)
        # INACTIVE: no LM
        assert lab.sectl("sucluster", "deactivate", SUC).returncode == 0
        wait_for(lambda: "REASON: VMS2402" in "\n".join(
            sdf(lab, "su1", "/CHECK-VM-MIGRATION VM-ID=LM1")[1]["messages"]), 15,
            "the check naming the INACTIVE SU Cluster (VMS2402)")
    finally:
        lab.sectl("sucluster", "activate", SUC)
        for su in ("su1", "su2"):
            sdf(lab, su, "/DELETE-VM VM-ID=LM1,CHECK-VM-STATE=*NO")
            sdf(lab, su, "/DELETE-VM-DEFINITION VM-NAME=LM1")

"""`sectl vm migrate` and the migrations routes against real SUs (issue 5 "Migration";
docs/su.md "Check a live migration", docs/api.md "Live Migration"): an INIT-ONLY VM moves
from su1 to su2 and sectl follows it to "completed"; a /MIGRATE-VM the SU rejects is a 409
with the SU's messages, exit 1, and changes nothing. The engine's own tests (guest
continuity, aborts, the crash table) are the LM engine's; the scripted progress and abort
lines are test_lm_api.py.

One lab per module: 2 SE Servers with 1 MU and 1 SU each, SU Cluster SUC1 of su1 and su2,
timing profile `test`. Waits use deadlines."""
import json, os, re

import pytest

from cluster_lab import Lab
from lab import wait_for
from lmlab import sdf, ok as sdf_ok  # noqa: E402

VM = "LMM"


def where(lab, name):
    """The units whose systems list VM name."""
    systems = json.loads(lab.sectl("systems", "--json").stdout)["systems"]
    return sorted(s["unit"] for s in systems if s["name"] == name)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = Lab(str(tmp_path_factory.mktemp("lmcli")), servers=2, mus=1, sus=1, profile="test",
             su_cluster=True)
    try:
        r = lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
        assert r.returncode == 0, r.stderr
        wait_for(lambda: sdf(lb, "su1", "/SHOW-VM-RESOURCES")[0] == 0 and
                 sdf(lb, "su2", "/SHOW-VM-RESOURCES")[0] == 0, 30, "both SUs serving")
        yield lb
    finally:
        lb.down()


def test_migrate_init_only_vm(lab):
    sdf_ok(lab, "su1", f"/CREATE-VM-DEFINITION VM-NAME={VM},VM-INDEX=6,MEMORY-SIZE=64")
    sdf_ok(lab, "su1", f"/ACTIVATE-VM-DEFINITION VM-NAME={VM}")
    wait_for(lambda: lab.sectl("vm", "migrate", VM, "--check").returncode == 0, 20,
             "the LM possible (su1 knowing SUC1)")
    r = lab.sectl("vm", "migrate", VM, "--su", "su1", "--to", "su2", "--monjv", "JV.LMM",
                  timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("% VMS2460 "), r.stdout
    m = re.fullmatch(rf"live migration ([0-9a-f]{{16}}) of VM '{VM}' from SU 'su1' started",
                     lines[1])
    assert m, r.stdout
    assert all(l.startswith("phase ") for l in lines[2:-1]) and \
        lines[-2].startswith("phase 4/4 completed "), r.stdout
    assert re.fullmatch(r"completed in \d+\.\d\d s, (pause \d+ ms|no pause \(the VM was not "
                        r"running\))", lines[-1]), lines[-1]
    st, b = lab.call("mu1", "GET", f"/api/v1/sus/su1/migrations/{m.group(1)}")
    assert st == 200 and b["lm"]["state"] == "completed" and b["lm"]["target"] == "su2", b
    assert b["lm"]["vm_name"] == VM and b["lm"]["percent"] == 100
    # where the time went (docs/api.md): the target's reservation, then its QEMU settling
    # (bounded: SECD_LM_SETTLE_MS 150 ms, looked at every 10 ms), both inside the prepare
    lm = b["lm"]
    assert 0 < lm["target_reserve_ms"] and 0 <= lm["target_settle_ms"] <= 400, lm
    assert lm["prepare_ms"] >= lm["target_reserve_ms"] + lm["target_settle_ms"] - 1, lm
    st, b = lab.call("mu1", "GET", "/api/v1/sus/su1/migrations")
    assert st == 200 and m.group(1) in [x["lm_id"] for x in b["lms"]], b
    wait_for(lambda: where(lab, VM) == ["su2"], 20, f"{VM} on su2 only")


def test_rejected_migration_changes_nothing(lab):
    """/MIGRATE-VM back to su1 while su1 has a definition of the same name: 409 with the
    SU's messages (VMS2404 ... VMS4013, VMS2461), sectl exit 1; both SUs as before."""
    if where(lab, VM) != ["su2"]:
        pytest.skip(f"needs {VM} on su2 (test_migrate_init_only_vm)")
    sdf_ok(lab, "su1", f"/CREATE-VM-DEFINITION VM-NAME={VM},VM-INDEX=9,MEMORY-SIZE=64")
    try:
        before = [sdf(lab, su, "/SHOW-VM-DEFINITION")[1]["messages"] for su in ("su1", "su2")]
        st, b = lab.call("mu1", "POST", "/api/v1/sus/su2/migrations",
                         {"vm": VM, "to": "su1"}, timeout=70)
        assert st == 409 and b["error"]["code"] == "lm_rejected", b
        assert any("REASON: VMS4013" in x for x in b["error"]["details"]), b
        assert b["result"]["ok"] is False
        r = lab.sectl("vm", "migrate", VM, "--su", "su2", "--to", "su1")
        assert r.returncode == 1 and "% VMS4013 " in r.stdout, r.stdout + r.stderr
        assert f"live migration of VM '{VM}' rejected" in r.stderr, r.stderr
        assert [sdf(lab, su, "/SHOW-VM-DEFINITION")[1]["messages"]
                for su in ("su1", "su2")] == before
        assert where(lab, VM) == ["su1", "su2"]  # the definition here, the VM there
    finally:
        sdf(lab, "su1", f"/DELETE-VM-DEFINITION VM-NAME={VM}")

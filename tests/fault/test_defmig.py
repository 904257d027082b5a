"""/MIGRATE-VM-DEFINITION between the two SUs of an SU Cluster (issue 5; seed 4.3;
vm2000-facts.md §1.10; crd.md §6): a DEFINED_ONLY definition moves from su1 to su2 —
su2's secd writes it through its own command FIFO, then su1 drops it — and every refusal
or failure leaves it where it was.

One lab per module: 2 SE Servers with 1 MU and 1 SU each, timing profile `test`, started
with `--su-cluster` (SU Cluster SUC1 of su1 and su2) and `--faults` (the fault point
`su.region.write`; each test that sets a fault removes it). Each test uses its own VM names and
leaves both SUs serving. Waits use deadlines, never fixed sleeps."""
import json, os

import pytest

from cluster_lab import Lab
from lab import wait_for
from unitcall import UnitCaller, read_key

PATH = "/api/v1/internal/su/defmig"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = Lab(str(tmp_path_factory.mktemp("defmig")), servers=2, mus=1, sus=1, profile="test",
             su_cluster=True, faults=True)
    try:
        r = lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
        assert r.returncode == 0, r.stderr
        wait_serving(lb)
        yield lb
    finally:
        lb.down()


def sdf(lab, su, cmd):
    """(exit status, result object) of `sectl sdf SU CMD --json`."""
    r = lab.sectl("sdf", su, cmd, "--json")
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"raw": r.stdout + r.stderr, "messages": [], "ok": None}


def ok(lab, su, cmd):
    rc, res = sdf(lab, su, cmd)
    assert rc == 0 and res.get("ok"), f"{su} {cmd}: {res}"
    return res


def wait_serving(lab, sus=("su1", "su2")):
    """Each SU serves commands and knows its SU Cluster partner from the global data (it
    re-reads it every few seconds): /CHECK-VM-MIGRATION of a probe definition no longer
    says VMS2341 (no partner known)."""
    wait_for(lambda: all(sdf(lab, su, "/SHOW-VM-RESOURCES")[0] == 0 for su in sus), 40,
             f"{', '.join(sus)} serving commands")
    for su in sus:
        probe = "PROBE" + su[-1]
        ok(lab, su, f"/CREATE-VM-DEFINITION VM-NAME={probe},VM-INDEX=*ANY,MEMORY-SIZE=64")
        try:
            wait_for(lambda: sdf(lab, su, f"/CHECK-VM-MIGRATION VM-ID={probe}")[1]
                     .get("rc", {}).get("maincode") not in (None, "VMS2341"), 30,
                     f"{su} knowing its SU Cluster partner")
        finally:
            ok(lab, su, f"/DELETE-VM-DEFINITION VM-NAME={probe}")


def defined(lab, su, name):
    """True when su's /SHOW-VM-DEFINITION lists the VM definition name."""
    res = ok(lab, su, "/SHOW-VM-DEFINITION VM-NAME=*ALL")
    return any(name in line.split() for line in res["messages"])


def systems(lab):
    """{(unit, VM name): status} of the systems overview."""
    st, b = lab.call("mu1", "GET", "/api/v1/systems")
    assert st == 200, b
    return {(s["unit"], s["name"]): s["status"] for s in b["systems"]}


def console(lab, su):
    """Every line of su's monitor console (through mu1, page by page)."""
    lines, after = [], 0
    while True:
        st, b = lab.call("mu1", "GET", f"/api/v1/sus/{su}/console?after={after}&limit=1000")
        assert st == 200, b
        if not b["lines"]:
            return lines
        lines += [l["text"] for l in b["lines"]]
        after = b["next"] - 1


def migrate(lab, name, target="*UNIQUE"):
    """(exit status, result) of /MIGRATE-VM-DEFINITION on su1."""
    return sdf(lab, "su1", f"/MIGRATE-VM-DEFINITION VM-NAME={name},SERVER-UNIT-NAME={target}")


def messages(res):
    return "\n".join(res["messages"])


def test_migrate_definition(lab):
    """VMS2320 on su1; su2 shows the definition (same name, index, memory), su1 no more;
    su2's monitor console shows the takeover (VMS2322), the events say so."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM1,VM-INDEX=6,MEMORY-SIZE=64")
    rc, res = migrate(lab, "DM1")
    assert rc == 0 and res["ok"], res
    assert "% VMS2320 VM DEFINITION 'DM1' MIGRATED TO SU 'su2'" in res["messages"], res
    assert res["rc"]["maincode"] == "CMD0001", res
    assert defined(lab, "su2", "DM1") and not defined(lab, "su1", "DM1")
    show = messages(ok(lab, "su2", "/SHOW-VM-DEFINITION VM-NAME=DM1"))
    assert "DM1" in show and "64" in show, show
    con = console(lab, "su2")
    assert any(l.startswith("su1: /MIGRATE-VM-DEFINITION VM-NAME=DM1") for l in con), con
    assert "% VMS2322 VM DEFINITION 'DM1' TAKEN OVER FROM SU 'su1'" in con, con
    wait_for(lambda: any("VM definition (6,DM1) taken over from SU 'su1'" in e["message"]
                         for e in lab.events("mu1", text="DM1")), 15, "the takeover event")
    wait_for(lambda: any("VM definition (6,DM1) migrated to SU 'su2'" in e["message"]
                         for e in lab.events("mu1", text="DM1")), 15, "the migration event")


def restart_secd(lab, su):
    pid = lab.unit(su)["pid"]
    r = lab.sectl("lab", "kill", "--dir", lab.dir, su, "--only", "secd")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: not lab.unit(su)["running"], 20, f"{su}'s secd ({pid}) gone")
    r = lab.sectl("lab", "start", "--dir", lab.dir, su)
    assert r.returncode == 0, r.stdout + r.stderr


def test_still_only_on_target_after_kill_and_restart(lab):
    """kill -9 of both SUs' secd, both started again: DM1 is on su2 only (both regions were
    written before the command answered)."""
    for su in ("su1", "su2"):
        restart_secd(lab, su)
    wait_serving(lab)
    assert defined(lab, "su2", "DM1") and not defined(lab, "su1", "DM1")
    ok(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM1")


def test_initialized_vm_is_refused(lab):
    """An initialized VM (INIT-ONLY) cannot have its definition migrated: VMS4015, nothing
    changes on either SU."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM2,VM-INDEX=7,MEMORY-SIZE=64")
    ok(lab, "su1", "/ACTIVATE-VM-DEFINITION VM-NAME=DM2")
    try:
        rc, res = migrate(lab, "DM2", "su2")
        assert rc != 0 and res["ok"] is False, res
        assert res["rc"]["maincode"] == "VMS4015" and "VMS4015" in messages(res), res
        assert defined(lab, "su1", "DM2") and not defined(lab, "su2", "DM2")
        assert systems(lab)[("su1", "DM2")] == "INIT_ONLY"
    finally:
        sdf(lab, "su1", "/DELETE-VM VM-ID=DM2,CHECK-VM-STATE=*NO")
        sdf(lab, "su1", "/DELETE-VM-DEFINITION VM-NAME=DM2")


def test_name_used_on_target_is_refused(lab):
    """The name is taken on su2: VMS2324 naming VMS4013; each SU keeps its own DM3."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM3,VM-INDEX=8,MEMORY-SIZE=64")
    ok(lab, "su2", "/CREATE-VM-DEFINITION VM-NAME=DM3,VM-INDEX=9,MEMORY-SIZE=128")
    try:
        rc, res = migrate(lab, "DM3")
        text = messages(res)
        assert rc != 0 and res["ok"] is False, res
        assert "VMS2324" in text and "REASON: VMS4013" in text and "% VMS4013" in text, text
        assert defined(lab, "su1", "DM3") and defined(lab, "su2", "DM3")
        assert "128" in messages(ok(lab, "su2", "/SHOW-VM-DEFINITION VM-NAME=DM3"))
        assert "64" in messages(ok(lab, "su1", "/SHOW-VM-DEFINITION VM-NAME=DM3"))
    finally:
        sdf(lab, "su1", "/DELETE-VM-DEFINITION VM-NAME=DM3")
        sdf(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM3")


def test_target_secd_stopped(lab):
    """su2's secd killed: the call is not answered (VMS2323, or VMS2325 when in doubt) and
    su1 keeps the definition; once su2 is back the migration works."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM4,VM-INDEX=10,MEMORY-SIZE=64")
    r = lab.sectl("lab", "kill", "--dir", lab.dir, "su2", "--only", "secd")
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        wait_for(lambda: not lab.unit("su2")["running"], 20, "su2's secd gone")
        rc, res = migrate(lab, "DM4")
        text = messages(res)
        assert rc != 0 and res["ok"] is False, res
        assert res["rc"]["maincode"] in ("VMS2323", "VMS2325"), res
        assert "% VMS2323 VM DEFINITION 'DM4' COULD NOT BE MIGRATED TO SU 'su2'" in text or \
            "% VMS2325" in text, text
        assert defined(lab, "su1", "DM4")
    finally:
        r = lab.sectl("lab", "start", "--dir", lab.dir, "su2")
        assert r.returncode == 0, r.stdout + r.stderr
    wait_serving(lab)
    assert not defined(lab, "su2", "DM4")
    rc, res = migrate(lab, "DM4")
    assert rc == 0 and res["ok"], res
    assert defined(lab, "su2", "DM4") and not defined(lab, "su1", "DM4")
    ok(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM4")


def request_body(src, tgt, name, index, uuid="5f0c8a52-3d4e-4b6a-9c1d-2e7f8a9b0c1d"):
    """A well-formed body of POST /api/v1/internal/su/defmig (docs/api.md) for a definition
    name (VM index) moving from unit src to unit tgt (rows of `lab status`)."""
    vm = {"vm_uuid": uuid, "name": name, "index": index, "index_any": False,
          "memory_mib": 64, "cpus": 1, "pool": "*STDPOOL", "group": "", "devices": [],
          "ipl_unit": "", "persistent": True, "state": "DEFINED_ONLY",
          "runtime": {"qemu_pid": 0, "started_ms": 0, "running_ms": 0, "migr": False,
                      "aterm": False, "qemu_ipl": "", "monjv": "", "monjv_ms": 0}}
    return {"vm": vm, "def": {"vm_uuid": uuid, "name": name, "epoch": 2,
                              "owner": tgt["unit_id"], "migrated_from": src["unit_id"],
                              "recovered_from": 0, "lm_id": "0000000000000000", "flags": []},
            "source": src["name"], "target": tgt["name"], "source_unit": src["unit_id"],
            "target_unit": tgt["unit_id"]}


def test_route_refuses_bad_and_foreign_calls(lab):
    """POST /api/v1/internal/su/defmig on su2 signed by a unit that is no SU: a malformed
    body is 400 naming the field, a request for another SU 421, a well-formed one 403 —
    none of them changes anything on su2."""
    su1, su2 = lab.unit("su1"), lab.unit("su2")
    caller = UnitCaller(read_key(os.path.join(lab.dir, "cluster.key")), 200)
    good = request_body(su1, su2, "DM5", 11)

    def bad(change, field):
        body = json.loads(json.dumps(good))
        change(body)
        st, b = caller.call(su2, "POST", PATH, body)
        assert st == 400 and b["error"]["code"] == "bad_request", (field, st, b)
        assert field in b["error"]["message"], (field, b)

    bad(lambda b: b.pop("vm"), "'vm'")
    bad(lambda b: b["vm"].pop("memory_mib"), "memory_mib")
    bad(lambda b: b["def"].update(epoch="x"), "epoch")
    bad(lambda b: b.update(target_unit=0), "'target_unit'")
    bad(lambda b: b.update(source=""), "'source'")
    bad(lambda b: b["def"].update(owner=su1["unit_id"]), "'def.owner'")
    st, b = caller.call(su2, "POST", PATH, {**good, "target": "su1", "target_unit":
                                            su1["unit_id"], "def": {**good["def"], "owner":
                                                                    su1["unit_id"]}})
    assert st == 421 and b["error"]["code"] == "misdirected", (st, b)
    st, b = caller.call(su2, "POST", PATH, good)
    assert st == 403 and "unit 200 is no SU" in b["error"]["message"], (st, b)
    assert not defined(lab, "su2", "DM5")
    # su1's own calls to su2 still work: the test's sender retired nothing
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM5,VM-INDEX=11,MEMORY-SIZE=64")
    rc, res = migrate(lab, "DM5")
    assert rc == 0 and res["ok"], res
    assert defined(lab, "su2", "DM5") and not defined(lab, "su1", "DM5")
    ok(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM5")


def test_target_refuses_by_itself(lab):
    """The target checks again against its own live model (what the source read from its
    region may be old by then): a call as su1 for a name su2 uses is answered 409 with the
    reason VMS4013, su2's monitor console shows VMS2324, nothing changes; a good one is
    written (VMS2322). The test signs as su1 with an incarnation of its own, which retires
    su1's at su2: su1's secd is restarted afterwards (a new incarnation is accepted)."""
    su1, su2 = lab.unit("su1"), lab.unit("su2")
    caller = UnitCaller(read_key(os.path.join(lab.dir, "cluster.key")), su1["unit_id"])
    ok(lab, "su2", "/CREATE-VM-DEFINITION VM-NAME=DM6,VM-INDEX=12,MEMORY-SIZE=128")
    try:
        st, b = caller.call(su2, "POST", PATH, request_body(su1, su2, "DM6", 13))
        assert st == 409 and b["ok"] is False and b["msgid"] == "VMS4013", (st, b)
        assert "% VMS2324 VM DEFINITION 'DM6' REJECTED BY TARGET SU 'su2'. REASON: VMS4013" \
            in b["messages"], b
        assert "% VMS2324 VM DEFINITION 'DM6' REJECTED BY TARGET SU 'su2'. REASON: VMS4013" \
            in console(lab, "su2")
        assert "128" in messages(ok(lab, "su2", "/SHOW-VM-DEFINITION VM-NAME=DM6"))
        st, b = caller.call(su2, "POST", PATH, request_body(su1, su2, "DM7", 14))
        assert st == 200 and b["ok"] is True, (st, b)
        assert "% VMS2322 VM DEFINITION 'DM7' TAKEN OVER FROM SU 'su1'" in b["messages"], b
        assert defined(lab, "su2", "DM7")
    finally:
        sdf(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM6")
        sdf(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM7")
        restart_secd(lab, "su1")
        wait_serving(lab)
    # su1's new incarnation is accepted by su2: a migration works again
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM8,VM-INDEX=15,MEMORY-SIZE=64")
    rc, res = migrate(lab, "DM8")
    assert rc == 0 and res["ok"], res
    ok(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM8")


def test_source_region_write_fails(lab):
    """su2 took the definition over, su1's own region write fails: VMS2321 (a warning, rc
    subcode 2 = 2), su1 drops it anyway and writes its region again — after a kill -9 and
    restart su1 still does not have it."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM9,VM-INDEX=16,MEMORY-SIZE=64")
    lab.set_faults("su1", ["su.region.write fail 5 count=1"])
    try:
        rc, res = migrate(lab, "DM9")
    finally:
        lab.set_faults("su1", [])
    assert rc == 0 and res["ok"], res
    assert res["rc"] == {"maincode": "VMS2321", "subcode1": 0, "subcode2": 2}, res
    assert any(m.startswith("% VMS2321 VM DEFINITION 'DM9' MIGRATED TO SU 'su2' BUT NOT "
                            "DELETED ON SU 'su1'") for m in res["messages"]), res
    assert defined(lab, "su2", "DM9") and not defined(lab, "su1", "DM9")
    restart_secd(lab, "su1")
    wait_serving(lab)
    assert defined(lab, "su2", "DM9") and not defined(lab, "su1", "DM9")
    ok(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM9")


def test_target_answers_too_late(lab):
    """su2's region write takes longer than su1 waits (10 s): VMS2325, su1 keeps the
    definition. The migration is in doubt: su2 completes its write afterwards (epoch + 1,
    migrated from su1), and su1's partner reconcile (crd.md §6, every 10 s) drops its
    superseded copy: in the end the definition is on su2 only."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=DM10,VM-INDEX=17,MEMORY-SIZE=64")
    lab.set_faults("su2", ["su.region.write delay 11000 count=1"])
    try:
        rc, res = migrate(lab, "DM10")
        assert rc != 0 and res["ok"] is False, res
        assert res["rc"]["maincode"] == "VMS2325", res
        assert "% VMS2325 MIGRATION OF VM DEFINITION 'DM10' NOT CONFIRMED IN TIME BY TARGET " \
            "SU 'su2'" in res["messages"], res
        assert defined(lab, "su1", "DM10")
        wait_for(lambda: defined(lab, "su2", "DM10"), 20, "su2 completing its late write")
        wait_for(lambda: not defined(lab, "su1", "DM10"), 30,
                 "su1's reconcile dropping its superseded copy")
    finally:
        lab.set_faults("su2", [])
        sdf(lab, "su1", "/DELETE-VM-DEFINITION VM-NAME=DM10")
        sdf(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=DM10")

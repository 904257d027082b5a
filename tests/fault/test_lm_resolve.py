"""Crash table row 6 (crd.md §6, docs/lm.md): a Live Migration in doubt whose target record
cannot be read. The source asked the target to commit and got no answer; the target is
dead and the source cannot read its CRD region (fault "su.region.read fail" on su1): the
guest stays stopped on su1 (VMS2428, the LM object says needs_operator) until an
administrator runs `sectl vm lm-resolve VM --resume-source|--discard-source --i-understand`
(audited). Afterwards the restarted target resolves its side as rows 7 and 8 say, and
exactly one SU owns the VM with one running guest.

One lab for the module (lmlab.make_lab, [su] lm_bandwidth_mib = 1). Waits use deadlines."""
import json

import pytest

from lab import wait_for
from lmlab import (make_lab, ok, console, vms, start_guest, remove_guest, migrate, mark,
                   wait_line, wait_lm_end, restart_secd, assert_one_owner, lm_state, sectl,
                   guest_continues, last_n)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = make_lab(str(tmp_path_factory.mktemp("lmres")), bandwidth_mib=1)
    try:
        yield lb
    finally:
        lb.down()


@pytest.fixture
def clean(lab):
    yield lab
    lab.undo_all()
    if not lab.unit("su2")["running"]:
        restart_secd(lab, "su2")
    remove_guest(lab, "G1")


def in_doubt_unreadable(lab, point):
    """G1 migrates from su1 to su2; su2's secd dies at point (and stays down), su1 cannot
    read su2's region. Returns (m1, lm_id) once su1 said VMS2428."""
    start_guest(lab, "su1", "G1", 3)
    lab.set_faults("su2", [f"{point} kill count=1"])
    m1 = mark(lab, "su1")
    res, lm_id = migrate(lab, "su1", "G1")
    assert lm_id, res
    # the partner read of /MIGRATE-VM is done; from now on su1 reads su2's region in vain
    lab.set_faults("su1", ["su.region.read fail"])
    wait_for(lambda: not lab.unit("su2")["running"], 30, f"su2's secd killed at {point}")
    wait_line(lab, "su1", "VMS2428", m1, timeout=60)
    lm = lm_state(lab, "su1", lm_id)
    assert lm["state"] == "in-doubt" and lm["needs_operator"] is True, lm
    return m1, lm_id


def resolve(lab, *args):
    return sectl(lab, "vm", "lm-resolve", "G1", "--su", "su1", *args)


def audited(lab, text):
    st, b = lab.call("mu1", "GET", "/api/v1/audit?limit=200&text=LM%20resolve")
    assert st == 200, b
    return [e["message"] for e in b["entries"] if text in e["message"]]


def test_not_in_doubt_is_refused(clean):
    """Without an LM in doubt there is nothing to decide: exit 1 naming the VM; without
    --i-understand a usage error; nothing changes."""
    lab = clean
    start_guest(lab, "su1", "G1", 3)
    r = resolve(lab, "--resume-source", "--i-understand")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no live migration of VM 'G1' from SU 'su1' is in doubt" in r.stderr, r.stderr
    r = resolve(lab, "--discard-source")
    assert r.returncode == 2 and "--i-understand" in r.stderr, r.stderr
    assert vms(lab, "su1").get("G1") == "RUNNING"


def test_resume_source(clean):
    """The target died before its commit (its QEMU loaded, paused): the administrator
    resumes the guest on the source; the restarted target aborts its side."""
    lab = clean
    m1, lm_id = in_doubt_unreadable(lab, "lm.tgt.before_commit")
    # stopped while in doubt: the guest's console does not move on su1
    n = last_n(lab, "su1", "G1")
    r = resolve(lab, "--resume-source", "--i-understand")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == (f"live migration {lm_id} of VM 'G1' on SU 'su1': "
                                        "the guest continues on the source"), r.stdout
    assert r.stdout.splitlines()[-1].startswith("aborted: "), r.stdout
    assert "the operator decided so" in r.stdout, r.stdout
    assert wait_lm_end(lab, "su1", m1) == "aborted"
    assert any("DECIDED BY 'admin': THE GUEST CONTINUES ON THIS SU" in l
               for l in console(lab, "su1", after=m1)), console(lab, "su1", after=m1)
    guest_continues(lab, "su1", "G1", n)
    assert lm_state(lab, "su1", lm_id)["result"] == "$AE"
    assert audited(lab, f"Command=lm-resolve {lm_id} resume-source --> OK")
    lab.set_faults("su1", [])
    restart_secd(lab, "su2")
    assert_one_owner(lab, "G1", "su1")


def test_discard_source(clean):
    """The target committed and died before `cont`: the administrator discards the source's
    copy. The target stayed down past fence_timeout, so its guard ended the paused QEMU
    (crd.md §4): the restarted target owns the definition as FENCED — it never starts a
    guest by itself — and /DELETE-VM, /ACTIVATE-VM-DEFINITION, /START-VM bring it up there."""
    lab = clean
    m1, lm_id = in_doubt_unreadable(lab, "lm.tgt.after_commit")
    r = resolve(lab, "--discard-source", "--i-understand", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    lm = json.loads(r.stdout)
    assert lm["state"] == "completed" and lm["result"] == "$TW", lm
    assert "discarded this SU's copy" in lm["reason"], lm
    assert wait_lm_end(lab, "su1", m1) == "completed"
    wait_for(lambda: "G1" not in vms(lab, "su1"), 20, "G1 gone from su1")
    assert audited(lab, f"Command=lm-resolve {lm_id} discard-source --> OK")
    lab.set_faults("su1", [])
    restart_secd(lab, "su2")
    wait_for(lambda: vms(lab, "su2").get("G1"), 20, "G1 defined on su2")
    assert vms(lab, "su2")["G1"] == "FENCED", vms(lab, "su2")
    assert "G1" not in vms(lab, "su1")
    ok(lab, "su2", "/DELETE-VM VM-ID=G1")  # FENCED -> DEFINED_ONLY, then up again
    ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G1")
    ok(lab, "su2", "/START-VM IPL-UNIT=A000,VM-ID=G1")
    assert_one_owner(lab, "G1", "su2")


def test_resolve_api_checks_its_body(clean):
    """The route takes only an administrator's confirmed decision."""
    lab = clean
    path = "/api/v1/sus/su1/migrations/0123456789abcdef/resolve"
    st, b = lab.call("mu1", "POST", path, {"decision": "resume-source"})
    assert st == 400 and "confirm" in b["error"]["message"], b
    st, b = lab.call("mu1", "POST", path, {"decision": "maybe", "confirm": True})
    assert st == 400 and "decision" in b["error"]["message"], b
    st, b = lab.call("mu1", "POST", path, {"decision": "resume-source", "confirm": True})
    assert st == 404 and "0123456789abcdef" in b["error"]["message"], b

"""/RECOVER-VM-DEFINITION after an SU outage (issue 7; seed 5; vm2000-facts.md §1.11;
crd.md §4-§6): real secd, sec-guard and QEMU (TCG) on both SUs of SU Cluster SUC1, the demo
guest counting on its console, timing profile `test` (dead_bound 3.4 s, renew 0.2 s).

* su1 dies whole (kill -9 of secd, guard and QEMU): RECOVER on su2 is refused with VMS2344
  while su1's alive message may still be renewed, accepted once su1 is dead — never
  earlier than the dead bound after the kill minus one renew interval; the guest is
  activated and started on su2 and counts there; su1 comes back, drops its superseded copy
  before it serves (the rejoin of crd.md §6) and never starts the guest: one owner, the
  guest's run intervals never overlap (runs.log), the marker ring has one writer.
* secd alone killed or SIGTERMed: the guard fences first, RECOVER after the dead bound.
* the seed 5 scenario: the recovered definition switched to a mirror IPL disk.
* a storage cut for su1 only: fenced within fence_timeout, its secd exits "fenced", su2
  recovers after the dead bound; one of su1's two CRD disks hanging: nothing fenced, the
  disk NOT_ACCESSIBLE, RECOVER refused (VMS2344).
* a recovered definition deleted on su2 does not come back with su1 (tombstone).
* fencing = none for SUC1: VMS2349 long after the dead bound, VMS2340 with --confirm-down.
* the two-site split (su1 sees only ext1, su2 only ext2): VMS2349, no automatic recovery.
* the source SU dies whole in the middle of a live migration and stays down: the target
  drops its reservation, RECOVER takes the definition there.
* a different VM of the same name on su2: VMS2346 (with VMS4013), nothing dropped.
* the API checks its body; `sectl vm recover` without --from takes the SU `sectl units`
  shows dead, and with none says so.

One lab for the module (lmlab.make_lab). Waits use deadlines, never fixed sleeps."""
import os, shutil, subprocess, time

import pytest

from lab import SECTL, wait_for
from lmlab import (make_lab, ok, sdf, vms, start_guest, remove_guest, assert_one_owner,
                   guest_continues, sectl, killed_whole, qemu_pid,
                   assert_never_twice, slot, migrate, mark, wait_line)

DEAD_BOUND_S = 3.4  # crd.md §8, profile test: fence 2 + W 0.5 + 2 x io 0.3 + margin 0.3
RENEW_S = 0.2
FENCE_S = 2.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    # a slow LM copy (1 MiB/s), so that a test can kill the source in the middle of it
    lb = make_lab(str(tmp_path_factory.mktemp("recover")), bandwidth_mib=1)
    try:
        yield lb
    finally:
        lb.down()


def recover(lab, vm, *args):
    return sectl(lab, "vm", "recover", vm, *args)


def lab_cmd(lab, *args):
    r = subprocess.run([SECTL, "lab", *args, "--dir", lab.dir], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def bring_back(lab, su):
    """Starts su's guard, fake watchdog and secd again; waits until it serves."""
    subprocess.run([SECTL, "lab", "start", "--dir", lab.dir, su], capture_output=True,
                   text=True, timeout=60, check=True)
    wait_for(lambda: sdf(lab, su, "/SHOW-VM-RESOURCES")[0] == 0, 60, f"{su} serving again")


def test_su_outage_recover_start_rejoin(lab):
    start_guest(lab, "su1", "G1", 3)
    t_kill, exited = killed_whole(lab, "su1", 3)
    try:
        # right after the kill su1's alive message is young: refused, nothing changed
        r = recover(lab, "G1", "--from", "su1")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "% VMS2344 REMOTE SU 'su1' IS RUNNING" in r.stdout, r.stdout
        assert "G1" not in vms(lab, "su2")

        def accepted():  # without --from: the SU that `sectl units` shows dead
            r = recover(lab, "G1")
            return r if r.returncode == 0 else None
        r = wait_for(accepted, 30, "RECOVER accepted once su1 is dead", interval=0.2)
        t_ok = time.monotonic_ns()
        assert "% VMS2340 VM DEFINITION 'G1' RECOVERED FROM SU 'su1'" in r.stdout, r.stdout
        assert (t_ok - t_kill) / 1e9 >= DEAD_BOUND_S - RENEW_S, (t_ok - t_kill) / 1e9
        assert vms(lab, "su2")["G1"] == "NOT", vms(lab, "su2")  # NOT INITIALIZED
        shown = ok(lab, "su2", "/SHOW-VM-DEFINITION VM-NAME=G1,INFORMATION=*UNITS")
        assert any("A000" in l for l in shown["messages"]), shown["messages"]
        ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G1")
        ok(lab, "su2", "/START-VM IPL-UNIT=A000,VM-ID=G1")
        guest_continues(lab, "su2", "G1", 0)
    finally:
        bring_back(lab, "su1")
    # su1 serves only after its rejoin reconcile: its superseded copy is gone by then
    assert "G1" not in vms(lab, "su1"), vms(lab, "su1")
    assert_one_owner(lab, "G1", "su2", extra=[exited])

    def event():
        st, b = lab.call("mu1", "GET", "/api/v1/events?limit=500")
        return st == 200 and any("recovered from SU 'su1'" in e["message"]
                                 for e in b["events"])
    wait_for(event, 20, "the event 'VM definition (3,G1) recovered from SU 'su1''")
    remove_guest(lab, "G1")


def wait_recovered(lab, vm, frm="su1"):
    """Polls `sectl vm recover` until accepted; returns its CLOCK_MONOTONIC ns."""
    def accepted():
        r = recover(lab, vm, "--from", frm)
        assert r.returncode == 0 or "VMS2344" in r.stdout, r.stdout + r.stderr
        return r if r.returncode == 0 else None
    r = wait_for(accepted, 30, f"RECOVER of {vm} accepted once {frm} is dead", interval=0.2)
    assert f"% VMS2340 VM DEFINITION '{vm}' RECOVERED FROM SU '{frm}'" in r.stdout, r.stdout
    return time.monotonic_ns()


@pytest.mark.parametrize("how", ["kill", "term"])
def test_secd_alone_gone_guest_fenced_first(lab, how):
    """kill -9 (or SIGTERM: the slot says RESTARTING) of su1's secd alone, its guard and QEMU
    running: the guard fences the guest within fence_timeout; RECOVER is refused until the
    dead bound and accepted after it — always after the guest's QEMU is gone."""
    start_guest(lab, "su1", "G4", 5)
    pid = qemu_pid(lab, "su1", 5)
    assert pid
    sig = "KILL" if how == "kill" else "TERM"
    t0 = time.monotonic_ns()
    lab_cmd(lab, "kill", "su1", "--only", "secd", "--signal", sig)
    try:
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 15, "su1's guard fencing G4")
        t_fenced = time.monotonic_ns()
        assert (t_fenced - t0) / 1e9 <= FENCE_S + 1.5, (t_fenced - t0) / 1e9
        t_ok = wait_recovered(lab, "G4")
        assert t_ok > t_fenced
        assert (t_ok - t0) / 1e9 >= DEAD_BOUND_S - RENEW_S, (t_ok - t0) / 1e9
    finally:
        bring_back(lab, "su1")
    assert "G4" not in vms(lab, "su1"), vms(lab, "su1")  # the FENCED copy was dropped
    ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G4")
    ok(lab, "su2", "/START-VM IPL-UNIT=A000,VM-ID=G4")
    assert_one_owner(lab, "G4", "su2")
    remove_guest(lab, "G4")


def test_seed5_switch_to_mirror_disks(lab):
    """Seed 5 "Possible scenario": the site with su1 and its disks fails; the mirror of the
    IPL disk (A008 here, made a copy of A000 as StorMan would activate it) replaces A000 in
    the recovered definition before it is activated and started on su2."""
    start_guest(lab, "su1", "G5", 6)
    t_kill, exited = killed_whole(lab, "su1", 6)
    try:
        wait_recovered(lab, "G5")
        shutil.copyfile(os.path.join(lab.dir, "disks", "A000.img"),
                        os.path.join(lab.dir, "disks", "A008.img"))
        ok(lab, "su2", "/MODIFY-VM-DEFINITION VM-NAME=G5,DEVICES=*REMOVE(UNITS="
                       "*DEVICE-RANGE(FROM=A000,TO=A000))")
        ok(lab, "su2", "/MODIFY-VM-DEFINITION VM-NAME=G5,DEVICES=*ADD(UNITS=*DEVICE-RANGE("
                       "FROM=A008,TO=A008,USAGE=*EXCLUSIVE))")
        ok(lab, "su2", "/MODIFY-VM-DEFINITION VM-NAME=G5,DEVICES=*ADD(UNITS=*DEVICE-RANGE("
                       "FROM=A009,TO=A00A,USAGE=*SHARED))")
        shown = "\n".join(ok(lab, "su2", "/SHOW-VM-DEFINITION VM-NAME=G5,"
                                         "INFORMATION=*UNITS")["messages"])
        assert "A000" not in shown and "A008" in shown and "A00A" in shown, shown
        ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G5")
        ok(lab, "su2", "/START-VM IPL-UNIT=A008,VM-ID=G5")
        guest_continues(lab, "su2", "G5", 0)
    finally:
        bring_back(lab, "su1")
    assert "G5" not in vms(lab, "su1")
    assert_never_twice(lab, [exited])
    remove_guest(lab, "G5")


def test_storage_cut_for_one_su(lab):
    """Every CRD disk of su1 hangs (its network up): its renewals stop, its guard fences the
    guest within fence_timeout, its secd exits "fenced" (crd.md §4); su2 recovers the VM
    after the dead bound, never before the guest's QEMU is gone."""
    start_guest(lab, "su1", "G6", 9)
    pid = qemu_pid(lab, "su1", 9)
    t0 = time.monotonic_ns()
    lab.set_faults("su1", ["crd.*:* hang"])
    try:
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 15, "su1's guard fencing G6")
        t_fenced = time.monotonic_ns()
        assert (t_fenced - t0) / 1e9 <= FENCE_S + 1.5, (t_fenced - t0) / 1e9
        wait_for(lambda: not lab.unit("su1")["running"], 15, "su1's secd exiting (fenced)")
        log = open(os.path.join(lab.dir, "units", "su1", "secd.log")).read()
        assert "exits with status 3 (fenced)" in log, log[-2000:]
        t_ok = wait_recovered(lab, "G6")
        assert t_ok > t_fenced and (t_ok - t0) / 1e9 >= DEAD_BOUND_S - RENEW_S
        ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G6")
        ok(lab, "su2", "/START-VM IPL-UNIT=A000,VM-ID=G6")
    finally:
        lab.set_faults("su1", [])
        bring_back(lab, "su1")
    assert "G6" not in vms(lab, "su1")
    assert_one_owner(lab, "G6", "su2")
    remove_guest(lab, "G6")


def test_one_disk_hangs_no_fencing(lab):
    """One of the two external CRD disks hangs forever for su1: it renews on the other, so
    nothing is fenced (crd.md §5: N = 2, keep while renewing on one); the disk shows
    NOT_ACCESSIBLE for su1 and su1 stays alive for its partner: RECOVER is refused."""
    start_guest(lab, "su1", "G7", 10)
    pid = qemu_pid(lab, "su1", 10)
    lab.set_faults("su1", ["crd.*:*ext1 hang"])
    try:
        ev = "CRD disk 'ext1' of unit 'su1' changed from 'NORMAL' to 'NOT_ACCESSIBLE'"
        wait_for(lambda: any(e["message"] == ev for e in lab.events("mu1", text=ev)), 30,
                 "the event: su1's ext1 NOT_ACCESSIBLE")
        t = time.monotonic() + 2 * DEAD_BOUND_S  # longer than fence_timeout and dead_bound
        while time.monotonic() < t:
            assert os.path.exists(f"/proc/{pid}"), "su1's guest was fenced"
            time.sleep(0.2)
        r = recover(lab, "G7", "--from", "su1")
        assert r.returncode == 1 and "% VMS2344 REMOTE SU 'su1' IS RUNNING" in r.stdout, \
            r.stdout + r.stderr
        assert lab.unit("su1")["running"] and vms(lab, "su1")["G7"] == "RUNNING"
    finally:
        lab.set_faults("su1", [])
    back = "CRD disk 'ext1' of unit 'su1' changed from 'STALE' to 'NORMAL'"
    wait_for(lambda: any(e["message"] == back for e in lab.events("mu1", text=back)), 60,
             "the event: su1's ext1 NORMAL again")
    remove_guest(lab, "G7")


def set_fencing(lab, policy):
    """SUC1 again with fencing `policy` (delete, create, activate); waits until su1 advertises
    it in its alive message."""
    for args in (("delete", "SUC1"), ("create", "SUC1", "--units", "su1,su2", "--fencing",
                                      policy), ("activate", "SUC1")):
        r = sectl(lab, "sucluster", *args)
        assert r.returncode == 0, r.stdout + r.stderr
    want = "NONE" if policy == "none" else "SELF"
    wait_for(lambda: str(slot(lab, "su1").get("fencing", "")).upper() == want, 30,
             f"su1 advertising fencing {policy}")


def test_fencing_none_needs_confirmation(lab):
    """SU Cluster with fencing = none (crd.md §4): su1's guard does not kill its guests and
    the CRD never calls su1 dead, so RECOVER answers VMS2349 — also long after the dead
    bound — until the operator confirms that su1 is down (--confirm-down, audited)."""
    set_fencing(lab, "none")
    try:
        ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G8,VM-INDEX=11,MEMORY-SIZE=64")
        lab_cmd(lab, "kill", "su1")
        t = time.monotonic()
        wait_for(lambda: time.monotonic() > t + 2 * DEAD_BOUND_S and
                 "VMS2349" in recover(lab, "G8", "--from", "su1").stdout, 30,
                 "VMS2349 past twice the dead bound", interval=0.5)
        r = recover(lab, "G8", "--from", "su1")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "% VMS2349 STATE OF REMOTE SU 'su1' CANNOT BE DETERMINED" in r.stdout, r.stdout
        assert "G8" not in vms(lab, "su2")
        r = recover(lab, "G8", "--from", "su1", "--confirm-down")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "% VMS2340 VM DEFINITION 'G8' RECOVERED FROM SU 'su1'" in r.stdout
        st, b = lab.call("mu1", "GET", "/api/v1/audit?limit=200&text=RECOVER")
        assert any("(remote SU down: confirmed)" in e["message"] for e in b["entries"]), b
    finally:
        bring_back(lab, "su1")
        set_fencing(lab, "self")
    assert "G8" not in vms(lab, "su1") and "G8" in vms(lab, "su2")
    remove_guest(lab, "G8")


def test_two_site_split_needs_confirmation(lab):
    """The two-site split with two external CRD disks (crd.md §5): su1 reaches only ext1, su2
    only ext2. su1 goes on renewing on ext1, su2 sees su1's slot on ext2 unchanged and
    cannot read ext1: su1's state cannot be determined — no automatic recovery, RECOVER
    answers VMS2349 (it would need --confirm-down), also long after the dead bound."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G9,VM-INDEX=12,MEMORY-SIZE=64")
    lab.set_faults("su1", ["crd.*:*ext2 hang"])
    lab.set_faults("su2", ["crd.*:*ext1 hang"])
    try:
        t = time.monotonic()
        wait_for(lambda: time.monotonic() > t + 2 * DEAD_BOUND_S, 30, "twice the dead bound",
                 interval=0.5)
        r = recover(lab, "G9", "--from", "su1")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "% VMS2349 STATE OF REMOTE SU 'su1' CANNOT BE DETERMINED" in r.stdout, r.stdout
        assert "G9" not in vms(lab, "su2") and lab.unit("su1")["running"]
    finally:
        lab.set_faults("su1", [])
        lab.set_faults("su2", [])
    wait_for(lambda: "VMS2344" in recover(lab, "G9", "--from", "su1").stdout, 60,
             "su1 alive again for su2 once both disks read", interval=0.5)
    remove_guest(lab, "G9")


def test_deleted_recovered_definition_does_not_come_back(lab):
    """A recovered definition deleted on su2 leaves a tombstone (crd.md §6): su1, back with
    its old copy, drops it at its rejoin — the deleted VM does not come back."""
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G10,VM-INDEX=13,MEMORY-SIZE=64")
    lab_cmd(lab, "kill", "su1")
    try:
        wait_recovered(lab, "G10")
        ok(lab, "su2", "/DELETE-VM-DEFINITION VM-NAME=G10")
        assert "G10" not in vms(lab, "su2")
    finally:
        bring_back(lab, "su1")
    assert "G10" not in vms(lab, "su1"), vms(lab, "su1")
    assert "G10" not in vms(lab, "su2")


def test_source_dies_mid_lm_and_stays_down(lab):
    """The source SU dies whole while a live migration copies and does not come back: the
    target, seeing it dead, drops its reservation (SETUP(MIGR)) so that RECOVER can take
    the definition there; su1 back later decides its LM (aborted) and drops its copy."""
    start_guest(lab, "su1", "G11", 14)
    m2 = mark(lab, "su2")
    res, lm_id = migrate(lab, "su1", "G11")
    assert lm_id, res
    wait_line(lab, "su2", "VMS6020", m2)  # the target prepared: the copy runs
    t_kill, exited = killed_whole(lab, "su1", 14)
    try:
        wait_line(lab, "su2", "VMS2426", m2, timeout=30)  # the target aborted its side
        wait_recovered(lab, "G11")
        ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G11")
        ok(lab, "su2", "/START-VM IPL-UNIT=A000,VM-ID=G11")
    finally:
        bring_back(lab, "su1")
    assert "G11" not in vms(lab, "su1"), vms(lab, "su1")
    assert_one_owner(lab, "G11", "su2", extra=[exited])
    remove_guest(lab, "G11")


def test_name_held_by_another_vm(lab):
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G2,VM-INDEX=7,MEMORY-SIZE=64")
    ok(lab, "su2", "/CREATE-VM-DEFINITION VM-NAME=G2,VM-INDEX=8,MEMORY-SIZE=64")
    lab_cmd(lab, "kill", "su1", "--only", "secd")
    try:
        def answered():
            r = recover(lab, "G2", "--from", "su1")
            return r if "VMS2344" not in r.stdout else None
        r = wait_for(answered, 30, "su1 dead", interval=0.2)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "% VMS2346 VM DEFINITION 'G2' IS NOT UNIQUE IN THE SU CLUSTER" in r.stdout
        assert "% VMS4013 VM NAME 'G2' NOT AVAILABLE" in r.stdout, r.stdout
    finally:
        bring_back(lab, "su1")
    assert "G2" in vms(lab, "su1") and "G2" in vms(lab, "su2")  # nothing dropped
    remove_guest(lab, "G2")


def test_usage_and_api_body(lab):
    r = recover(lab, "G3")  # no SU dead: which one failed must be named
    assert r.returncode == 1 and "no SU is dead or undeterminable" in r.stderr, r.stderr
    assert "--from" in r.stderr
    st, b = lab.call("mu1", "POST", "/api/v1/sus/su2/recover", {"vm": "G3", "x": 1})
    assert st == 400 and b["error"]["message"].startswith("x: unknown field"), b
    st, b = lab.call("mu1", "POST", "/api/v1/sus/su2/recover", {"vm": "3"})
    assert st == 400 and b["error"]["message"].startswith("vm:"), b
    st, b = lab.call("mu1", "POST", "/api/v1/sus/su2/recover",
                     {"vm": "G3", "confirm_down": "yes"})
    assert st == 400 and b["error"]["message"].startswith("confirm_down:"), b
    # su1 alive: refused with its return code, through the API as through sectl
    st, b = lab.call("mu1", "POST", "/api/v1/sus/su2/recover", {"vm": "G3"})
    assert st == 200 and b["ok"] is False and b["rc"]["maincode"] == "VMS2300", b
    assert "% VMS2300 VM DEFINITION 'G3' DOES NOT EXIST" in b["messages"], b

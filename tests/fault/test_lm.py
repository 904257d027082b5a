"""Live Migration between the two SUs of SU Cluster SUC1 (issue 5; vm2000.md §5, crd.md §6,
docs/lm.md): real secd, sec-guard and QEMU (TCG) on both SUs, the demo guest counting on its
console.

One lab per module (lmlab.make_lab): 2 SE Servers with 1 MU and 1 SU each, SU Cluster SUC1,
[su] lm_bandwidth_mib = 1 on both SUs so that the memory copy of the demo guest (~2 MB moved)
lasts about two seconds: long enough for a test to act while it runs. Each test leaves no
VM behind. Waits use deadlines, never fixed sleeps."""
import os, signal

import pytest

from lab import wait_for
from lmlab import (make_lab, sdf, ok, console, vms, reports, last_n, start_guest, remove_guest,
                   migrate, mark, wait_line, wait_lm_end, guest_continues, qemu_pid,
                   restart_secd, assert_one_owner, lm_state, sectl,
                   migrate_killing, migrate_held_at_commit, stand_in_qemu,
                   stand_in_program)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = make_lab(str(tmp_path_factory.mktemp("lm")), bandwidth_mib=1)
    try:
        yield lb
    finally:
        lb.down()


@pytest.fixture
def clean(lab):
    yield lab
    lab.undo_all()
    for name in ("G1", "G2", "G3", "G4"):
        remove_guest(lab, name)


def index_of(lab, su, vm):
    res = ok(lab, su, "/SHOW-VM-RESOURCES")
    line = next(l for l in res["messages"] if f",{vm})" in l)
    return int(line.split(",")[0].lstrip("("))


def test_running_guest_migrates_and_back(clean):
    """The demo guest moves su1 -> su2 while counting: /MIGRATE-VM answers synchronously with
    the check's messages and the LM's id; su1 shows (MIGR) meanwhile; the x86 console messages
    come in the order of vm2000.md §5 on both monitors; the counter goes on on su2's console
    without a new boot and with check=ok; the definition is on su2 only; the VM's own MONJV
    stays on su1 as $T with MIGR-OUT (seed 4.8). Then back."""
    lab = clean
    start_guest(lab, "su1", "G1", 3, units="A000,A001,T0", monjv="VMJV1")
    jv = ok(lab, "su1", "/SHOW-JV JV-NAME=VMJV1")["messages"]
    assert any(l.startswith("%$R ") for l in jv), jv
    m1, m2 = mark(lab, "su1"), mark(lab, "su2")
    res, lm_id = migrate(lab, "su1", "G1", monjv="LMJV1")
    assert lm_id and len(lm_id) == 16, res
    assert res["ok"] and res["rc"]["maincode"] == "CMD0001", res
    assert any("VMS2460" in m for m in res["messages"]), res
    assert any("VMS2471" in m and "T0" in m for m in res["messages"]), res
    wait_for(lambda: vms(lab, "su1").get("G1") in ("RUNNING(MIGR)", None), 10, "G1 (MIGR)")
    # the systems overview: sub-status MIGRATING with the target, the target's VM not shown
    wait_for(lambda: "RUNNING (MIGRATING to su2)" in sectl(lab, "systems").stdout, 10,
             "G1 MIGRATING in the systems overview")
    n_before = last_n(lab, "su1", "G1")
    assert wait_lm_end(lab, "su1", m1) == "completed", console(lab, "su1", after=m1)
    src = console(lab, "su1", after=m1)
    order = ["VMS2450", "VMS4009 DEVICE 'T0'", "VMS6021", "VMS2451"]
    pos = [next(i for i, l in enumerate(src) if o in l) for o in order]
    assert pos == sorted(pos), src
    tgt = console(lab, "su2", after=m2)
    order = ["VMS6020", "VMS4005 DEVICE 'A000'", "VMS2050"]
    pos = [next(i for i, l in enumerate(tgt) if o in l) for o in order]
    assert pos == sorted(pos), tgt
    assert "G1" not in vms(lab, "su1")
    assert vms(lab, "su2").get("G1") == "RUNNING"
    guest_continues(lab, "su2", "G1", 0, count=3)
    first = reports(lab, "su2", "G1")[0][0]
    assert n_before < first <= last_n(lab, "su1", "G1") + 2 or first > n_before, \
        (n_before, first)
    assert not any("READY" in l for l in console(lab, "su2", "G1")), "a new boot on su2"
    # the guest's KVP console on su2 says it was resumed; the LM's MONJV terminated normally
    assert any("HAL0332" in l for l in console(lab, "su2", "G1")), console(lab, "su2", "G1")
    jv = ok(lab, "su1", "/SHOW-JV JV-NAME=LMJV1")["messages"]
    assert any(l.lstrip("%").startswith("$T ") for l in jv), jv
    jv = ok(lab, "su1", "/SHOW-JV JV-NAME=VMJV1")["messages"]
    assert any(l.startswith("%$T ") and l[71:95] == "G1      003NONE MIGR-OUT" for l in jv), jv
    # LIVE-MIG-COUNT and the history travel with the definition (seed 4.5)
    hist = "\n".join(ok(lab, "su2", "/SHOW-LIVE-MIGRATION-HISTORY VM-ID=G1")["messages"])
    rows = [l.split() for l in hist.splitlines()[1:]]
    assert [(r[0], r[3]) for r in rows] == [("00000000", "su1"), ("00000001", "su2")], hist
    info = "\n".join(ok(lab, "su2", "/SHOW-SYSTEM-INFORMATION VM-ID=G1")["messages"])
    assert "NSI6231" in info and "LIVE-MIG-COUNT = 1" in info, info
    # the SE Manager events of an LM on x86: paused, created, deactivated, deleted
    # (events reach the MU by replication: wait for each with a deadline)
    for what in ("paused", "created", "deactivated", "deleted"):
        wait_for(lambda: any(e["message"].endswith(what) for e in
                             lab.events("mu1", text="VM 'G1' on Server Unit")), 20,
                 f"the LM event '{what}'")
    # and back: the same guest, still counting
    m1, m2 = mark(lab, "su1"), mark(lab, "su2")
    res, lm_id = migrate(lab, "su2", "G1", to="su1")
    assert lm_id, res
    assert wait_lm_end(lab, "su2", m2) == "completed", console(lab, "su2", after=m2)
    assert_one_owner(lab, "G1", "su1")


def test_init_only_and_down_stay_so(clean):
    """An INIT-ONLY VM (QEMU there, guest not started) and a DOWN VM migrate and keep their
    state on the target (seed 4.4) — also twice in a row: a target that never `cont`s must
    still hold its disks active (without, QEMU 7.2 aborted on the second LM: newcomer of
    session 7) — and the VM then starts on its last SU with its disks."""
    lab = clean

    def hop(src, dst, state):
        m = mark(lab, src)
        assert migrate(lab, src, "G2", to=dst)[1]
        assert wait_lm_end(lab, src, m) == "completed", console(lab, src, after=m)
        assert vms(lab, dst).get("G2") == state and "G2" not in vms(lab, src)

    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G2,VM-INDEX=4,MEMORY-SIZE=64,"
                   "DEVICES=*PARAMETERS(UNITS=(A000,A001))")
    ok(lab, "su1", "/ACTIVATE-VM-DEFINITION VM-NAME=G2")
    assert vms(lab, "su1")["G2"] == "INIT-ONLY"
    hop("su1", "su2", "INIT-ONLY")
    hop("su2", "su1", "INIT-ONLY")
    # DOWN: start on su1, shut down, migrate there and back
    ok(lab, "su1", "/START-VM IPL-UNIT=A000,VM-ID=G2")
    wait_for(lambda: last_n(lab, "su1", "G2") >= 1, 30, "G2 counting")
    ok(lab, "su1", "/SHUTDOWN-VM VM-ID=G2")
    wait_for(lambda: vms(lab, "su1").get("G2") == "DOWN", 30, "G2 DOWN")
    hop("su1", "su2", "DOWN")
    hop("su2", "su1", "DOWN")
    # its disks are usable where it ended: it boots again and reports, all check=ok
    before = len(reports(lab, "su1", "G2"))
    ok(lab, "su1", "/START-VM IPL-UNIT=A000,VM-ID=G2")
    wait_for(lambda: len(reports(lab, "su1", "G2")) >= before + 2, 30, "G2 reporting on su1")
    assert vms(lab, "su1").get("G2") == "RUNNING"
    assert all(good for _, good in reports(lab, "su1", "G2"))


def test_second_outbound_lm_refused(clean):
    """Only one outbound LM per source SU (seed 4.7): a second /MIGRATE-VM while the first
    copies is refused with VMS2401 and changes nothing."""
    lab = clean
    start_guest(lab, "su1", "G1", 3)
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G2,VM-INDEX=4,MEMORY-SIZE=64")
    ok(lab, "su1", "/ACTIVATE-VM-DEFINITION VM-NAME=G2")
    m1 = mark(lab, "su1")
    assert migrate(lab, "su1", "G1")[1]
    res, lm_id = migrate(lab, "su1", "G2", monjv="LMJV2")
    assert lm_id is None and not res["ok"], res
    assert any("VMS2401" in m for m in res["messages"]), res
    # the refused LM's MONJV says $AF (rejected)
    wait_for(lambda: any(l.lstrip("%").startswith("$AF") for l in
                         sdf(lab, "su1", "/SHOW-JV JV-NAME=LMJV2")[1]["messages"]), 10,
             "MONJV LMJV2 $AF")
    assert wait_lm_end(lab, "su1", m1) == "completed"
    assert vms(lab, "su1").get("G2") == "INIT-ONLY"
    assert "G1" in vms(lab, "su2") and "G2" not in vms(lab, "su2")


def aborted_cleanly(lab, vm, m1, why, target_clean=True):
    """The LM ended as aborted with why on su1's console; the guest runs on su1, still
    counting, and (target_clean) su2 has nothing of it."""
    assert wait_lm_end(lab, "su1", m1) == "aborted", console(lab, "su1", after=m1)
    line = next(l for l in console(lab, "su1", after=m1) if "VMS2426" in l)
    assert why in line, line
    wait_for(lambda: vms(lab, "su1").get(vm) == "RUNNING", 20, f"{vm} RUNNING on su1")
    assert not target_clean or vm not in vms(lab, "su2")
    guest_continues(lab, "su1", vm, last_n(lab, "su1", vm))


def test_target_qemu_killed_mid_copy(clean):
    """Abort (seed 4.7): the target's QEMU dies while the memory is copied — the guest keeps
    running on the source, the tape is attached again, the target keeps nothing."""
    lab = clean
    start_guest(lab, "su1", "G1", 3, units="A000,A001,T0")
    m1, m2 = mark(lab, "su1"), mark(lab, "su2")
    log = os.path.join(lab.dir, "units", "su2", "secd.log")
    skip = os.path.getsize(log)
    assert migrate(lab, "su1", "G1")[1]
    wait_line(lab, "su2", "VMS6020", m2)
    pid = wait_for(lambda: qemu_pid(lab, "su2", 3), 10, "the target's QEMU")
    # the source's QEMU held while the target sees its own QEMU end, so that the source's
    # abort finds the target's reason there (without the hold either may come first)
    src = qemu_pid(lab, "su1", 3)
    os.kill(src, signal.SIGSTOP)
    try:
        os.kill(pid, signal.SIGKILL)

        def target_aborted():
            with open(log, errors="replace") as f:
                f.seek(skip)
                return "aborting: the target's QEMU" in f.read()
        wait_for(target_aborted, 20, "the target's own abort")
    finally:
        os.kill(src, signal.SIGCONT)
    # the whole line: both SUs' reasons, not cut at 256 bytes (session 8 newcomer)
    aborted_cleanly(lab, "G1", m1, f"on the target SU 'su2': the target's QEMU (pid {pid}) "
                    "was killed by signal 9 (Killed)")
    assert any("VMS4005 DEVICE 'T0'" in l for l in console(lab, "su1", after=m1))
    assert qemu_pid(lab, "su2", 3) is None


def test_target_qemu_killed_source_abort_first(clean):
    """The other order of test_target_qemu_killed_mid_copy: the source's abort reaches the
    target before the guard's report that the target's QEMU ended (fault point "su.exited
    delay": that report handled 600 ms late). The target waits for it (its QEMU's monitor
    had closed) and its answer still names the kill (a session 8 newcomer got no target
    reason in 5 of 39 early kills)."""
    lab = clean
    start_guest(lab, "su1", "G1", 3)
    m1 = mark(lab, "su1")
    lm_id = migrate(lab, "su1", "G1")[1]
    assert lm_id
    wait_for(lambda: lm_state(lab, "su1", lm_id)["state"] == "copy", 30, "the source copying")
    pid = qemu_pid(lab, "su2", 3)
    assert pid
    lab.set_faults("su2", ["su.exited delay 600 count=1"])
    try:
        os.kill(pid, signal.SIGKILL)
        aborted_cleanly(lab, "G1", m1, f"on the target SU 'su2': the target's QEMU (pid {pid}) "
                        "was killed by signal 9 (Killed)")
    finally:
        lab.set_faults("su2", [])
    wait_for(lambda: qemu_pid(lab, "su2", 3) is None, 10, "no QEMU of G1 on su2")


# answers every command until the LM's migrate-set-capabilities and dies while that command
# is pending (its socket closes)
DIES_AT_CAPABILITIES = """buf = b""
while True:
    data = c.recv(4096)
    if not data:
        os._exit(0)
    buf += data
    while b"\\n" in buf:
        line, buf = buf.split(b"\\n", 1)
        if b"migrate-set-capabilities" in line:
            os._exit(1)
        cmd = json.loads(line)
        ans = {"return": {}}
        if "id" in cmd:
            ans["id"] = cmd["id"]
        c.sendall(json.dumps(ans).encode() + b"\\n")
"""

def test_target_qemu_dies_at_a_pending_command(clean, tmp_path):
    """The target's QEMU dies while one of the LM's QMP commands waits for its answer: the
    target's abort must still drop its reservation — its QEMU's monitor was closed but its
    close not yet delivered when the abort stopped that QEMU, which failed ("QEMU's monitor
    is not connected"), and the target answered "aborted" with G1 left in SETUP(MIGR) on it
    (after a commit: two owners). Newcomer, session 9; a stand-in QEMU on su2 that exits at
    migrate-set-capabilities."""
    lab = clean
    fake = stand_in_program(tmp_path / "qemu-dies-at-capabilities", DIES_AT_CAPABILITIES)
    start_guest(lab, "su1", "G1", 3)
    with stand_in_qemu(lab, "su2", fake):
        m1 = mark(lab, "su1")
        assert migrate(lab, "su1", "G1")[1]
        assert wait_lm_end(lab, "su1", m1) == "aborted", console(lab, "su1", after=m1)
        wait_for(lambda: "G1" not in vms(lab, "su2"), 10, "no G1 left on su2")
        assert vms(lab, "su1").get("G1") == "RUNNING"
        guest_continues(lab, "su1", "G1", last_n(lab, "su1", "G1"))


def test_target_qemu_killed_while_settling(clean):
    """Abort (seed 4.7) in the target's settle step (docs/lm.md "Settle"): its new QEMU dies
    before the prepare is answered — the guest keeps running on the source, the target
    keeps nothing."""
    lab = clean
    log = os.path.join(lab.dir, "units", "su2", "secd.log")
    skip = os.path.getsize(log)
    lab.set_faults("su2", ["lm.tgt.settle delay 20000 count=1"])
    start_guest(lab, "su1", "G1", 3)
    m1 = mark(lab, "su1")
    lm_id = migrate(lab, "su1", "G1")[1]
    assert lm_id

    def held():
        with open(log, errors="replace") as f:
            f.seek(skip)
            return "settle held 20000 ms (fault point lm.tgt.settle)" in f.read()
    wait_for(held, 30, "the target's settle step held")
    pid = qemu_pid(lab, "su2", 3)
    os.kill(pid, signal.SIGKILL)
    aborted_cleanly(lab, "G1", m1, f"the target's QEMU (pid {pid}) was killed by signal 9")
    assert qemu_pid(lab, "su2", 3) is None
    # the LM object keeps the phase it was aborted in (it said phase 4 before)
    lm = lm_state(lab, "su1", lm_id)
    assert (lm["state"], lm["phase"], lm["result"]) == ("aborted", 1, "$AE"), lm


def test_target_qemu_stopped_stall_watchdog(clean):
    """A SIGSTOPped target QEMU takes no more data; QEMU has no timeout of its own, the
    stall watchdog (stall_timeout) ends the LM and the guest stays on the source."""
    lab = clean
    start_guest(lab, "su1", "G1", 3)
    m1, m2 = mark(lab, "su1"), mark(lab, "su2")
    assert migrate(lab, "su1", "G1")[1]
    wait_line(lab, "su2", "VMS6020", m2)
    pid = wait_for(lambda: qemu_pid(lab, "su2", 3), 10, "the target's QEMU")
    os.kill(pid, signal.SIGSTOP)
    try:
        aborted_cleanly(lab, "G1", m1, "")
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    wait_for(lambda: qemu_pid(lab, "su2", 3) is None, 20, "the target's QEMU gone")


def test_commit_write_fails(clean):
    """The commit point (crd.md §6): the target's commit write fails — it kills its QEMU,
    writes "abort lm_id", answers aborted; the source continues the guest (cont +
    announce-self), $AE."""
    lab = clean
    start_guest(lab, "su1", "G1", 3)
    lab.set_faults("su2", ["lm.tgt.commit_write fail 5 count=1"])
    m1 = mark(lab, "su1")
    assert migrate(lab, "su1", "G1")[1]
    aborted_cleanly(lab, "G1", m1, "did not take over")


def test_target_secd_killed_mid_copy_then_restarted(clean):
    """Crash table row 7: the target's secd dies after prepare; its QEMU (kept by the guard)
    takes the whole stream, the source's commit gets no answer and waits in doubt; the
    restarted target turns "incoming" into "abort" and kills the orphan QEMU; the source
    learns it and continues the guest."""
    lab = clean
    m1, res, lm_id = migrate_killing(lab, "su2", "lm.tgt.after_prepare")
    assert lm_id, res
    aborted_cleanly(lab, "G1", m1, "")
    # the restarted target names the LM and its source (it said "FROM UNIT n" before)
    line = wait_line(lab, "su2", f"(LM {lm_id} FROM SU 'su1')")
    assert "ABORTED. REASON: the SU daemon restarted before the commit" in line, line


def test_target_secd_killed_after_commit(clean):
    """Crash table row 8: the target's secd dies after its commit and before `cont`; the
    restarted target continues the paused guest (the commit decided); the source, in doubt
    meanwhile, learns "committed" and finishes: exactly one owner, one running guest."""
    lab = clean
    m1, res, lm_id = migrate_killing(lab, "su2", "lm.tgt.after_commit")
    assert lm_id, res
    assert wait_lm_end(lab, "su1", m1) == "completed", console(lab, "su1", after=m1)
    assert_one_owner(lab, "G1", "su2")


def test_source_secd_killed_mid_copy(clean):
    """Crash table row 2: the source's secd dies while the memory is copied; the restarted
    source asks the target to abort and keeps the guest (the copy is cancelled)."""
    lab = clean
    m1, res, lm_id = migrate_killing(lab, "su1", "lm.src.mid_copy")
    assert lm_id, res
    assert wait_lm_end(lab, "su1", m1) == "aborted", console(lab, "su1")
    assert_one_owner(lab, "G1", "su1")


def test_source_secd_killed_before_finish(clean):
    """Crash table row 4: the target committed and runs the guest; the source's secd dies
    before it removed its copy; restarted, it learns the commit (the target refuses the
    abort), quits its QEMU and drops the definition."""
    lab = clean
    m1, res, lm_id = migrate_killing(lab, "su1", "lm.src.before_finish")
    assert lm_id, res
    assert_one_owner(lab, "G1", "su2")
    wait_for(lambda: qemu_pid(lab, "su1", 3) is None, 20, "the source's QEMU gone")


@pytest.mark.parametrize("point,row", [("lm.src.after_outgoing", 1),
                                       ("lm.src.after_completed", 3)])
def test_source_secd_killed_at(clean, point, row):
    """Crash table rows 1 and 3: the source's secd dies after recording "outgoing" (nothing
    else happened yet), or after its QEMU completed and stopped the guest (not committed):
    restarted, it asks the target to abort and continues the guest itself (cont and
    announce-self), the tape back in its drive."""
    lab = clean
    m1, res, lm_id = migrate_killing(lab, "su1", point, units="A000,A001,T0")
    assert lm_id or row == 1, res  # row 1: secd dies before it answers
    assert wait_lm_end(lab, "su1", m1) == "aborted", (row, console(lab, "su1", after=m1))
    assert_one_owner(lab, "G1", "su1")
    back = any("VMS4005 DEVICE 'T0'" in l for l in console(lab, "su1", after=m1))
    assert back == (row == 3), (row, console(lab, "su1", after=m1))  # row 1: never detached
    wait_for(lambda: qemu_pid(lab, "su2", 3) is None, 20, "no QEMU left on su2")


def test_target_secd_killed_after_cont(clean):
    """Crash table row 9: the target committed and continued the guest, then its secd died
    before it answered; the source, in doubt, learns "committed" from the restarted target
    and quits its stopped QEMU."""
    lab = clean
    m1, res, lm_id = migrate_killing(lab, "su2", "lm.tgt.after_cont")
    assert lm_id, res
    assert wait_lm_end(lab, "su1", m1) == "completed", console(lab, "su1", after=m1)
    assert_one_owner(lab, "G1", "su2")
    wait_for(lambda: qemu_pid(lab, "su1", 3) is None, 20, "the source's QEMU gone")


def test_target_qemu_killed_before_cont(clean):
    """The commit point: the target's QEMU has loaded everything (the source completed and
    is stopped) and dies before the commit and `cont` — the target writes "abort", the source
    continues the guest: $AE, the guest still counting on su1."""
    lab = clean
    m1, lm_id = migrate_held_at_commit(lab, 4000)
    os.kill(qemu_pid(lab, "su2", 3), signal.SIGKILL)
    aborted_cleanly(lab, "G1", m1, "did not take over")
    lm = lm_state(lab, "su1", lm_id)
    assert lm["result"] == "$AE"
    # under TCG the guest stood still from the source's STOP (before the copy) to its own
    # RESUME after the abort: the LM says so (it said -1, "nothing paused": newcomer of
    # session 7)
    assert lm["pause_ms"] >= lm["copy_ms"] > 0, lm
    # the guest's KVP console on su1: suspended for the LM, then resumed here (newcomer,
    # session 9: nothing said it continued on the source)
    kvp = [l for l in console(lab, "su1", "G1") if "HAL033" in l]
    assert [l.split()[0] for l in kvp][-2:] == ["HAL0331", "HAL0332"], kvp


def test_target_disks_fail_at_commit(clean):
    """The commit point: every CRD disk of the target hangs when it commits — its commit
    never lands, its renewals stop, its guard fences the QEMU; the source, in doubt, waits
    for the target's DEAD verdict, reads its region (no commit) and continues the guest."""
    lab = clean
    m1, lm_id = migrate_held_at_commit(lab, 3000)
    lab.set_faults("su2", ["crd.*:* hang"])
    try:  # su2 cannot write its abort while its disks hang: it is cleaned after its restart
        aborted_cleanly(lab, "G1", m1, "", target_clean=False)
        assert lm_state(lab, "su1", lm_id)["result"] == "$AE"
        wait_for(lambda: qemu_pid(lab, "su2", 3) is None, 30, "the target's QEMU fenced")
        # the dead target's process goes before its disks come back: its hung commit
        # write dies with it (a write that lands late is issue 7's: docs/decisions.md);
        # it may have exited by itself already, fenced (crd.md §4)
        if lab.unit("su2")["running"]:
            try:
                os.kill(lab.unit("su2")["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(lambda: not lab.unit("su2")["running"], 20, "su2's secd gone")
    finally:
        lab.set_faults("su2", [])
    restart_secd(lab, "su2")  # its disks are back: the unit rejoins
    wait_for(lambda: "G1" not in vms(lab, "su2"), 20, "no G1 on su2")


def test_each_su_source_and_target_at_once(clean):
    """Only one outbound LM per SU, but an SU may be the target of another meanwhile (seed
    4.7): G1 (running) su1 -> su2 and G2 (INIT-ONLY: the demo guest's disks are G1's)
    su2 -> su1 run at the same time and both complete."""
    lab = clean
    start_guest(lab, "su1", "G1", 3)
    ok(lab, "su2", "/CREATE-VM-DEFINITION VM-NAME=G2,VM-INDEX=4,MEMORY-SIZE=64")
    ok(lab, "su2", "/ACTIVATE-VM-DEFINITION VM-NAME=G2")
    m1, m2 = mark(lab, "su1"), mark(lab, "su2")
    assert migrate(lab, "su1", "G1")[1]
    assert migrate(lab, "su2", "G2")[1]
    assert wait_lm_end(lab, "su1", m1) == "completed", console(lab, "su1", after=m1)
    assert wait_lm_end(lab, "su2", m2) == "completed", console(lab, "su2", after=m2)
    assert_one_owner(lab, "G1", "su2")
    assert vms(lab, "su1").get("G2") == "INIT-ONLY" and "G2" not in vms(lab, "su2")


def test_check_target_secd_down(clean):
    """The target's SU daemon is down (its alive message dead): the check does not say
    POSSIBLE from its region alone — the target is not detected (VMS2400), /MIGRATE-VM is
    refused and changes nothing."""
    lab = clean
    ok(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64")
    ok(lab, "su1", "/ACTIVATE-VM-DEFINITION VM-NAME=G1")
    os.kill(lab.unit("su2")["pid"], signal.SIGKILL)
    try:
        wait_for(lambda: "VMS2400" in "\n".join(
            sdf(lab, "su1", "/CHECK-VM-MIGRATION VM-ID=G1")[1]["messages"]), 30,
            "the check naming the target not detected")
        res, lm_id = migrate(lab, "su1", "G1")
        assert lm_id is None and any("VMS2400" in m for m in res["messages"]), res
        assert vms(lab, "su1").get("G1") == "INIT-ONLY"
    finally:
        restart_secd(lab, "su2")

"""A Server Unit runs guests (issue 4): VM2000 commands through `sectl sdf`, the demo guest
under TCG, its console through `sectl console`, and what an operator sees when secd, the
guard or QEMU go away (crd.md §4 fencing layers, §6).

One lab per module: 1 SE Server with 1 MU and 1 SU, timing profile `test` (fence_timeout
2 s). Each test cleans up the VMs it made. Waits use deadlines, never fixed sleeps."""
import json, os, re, signal, sys, threading, time

import pytest

from cluster_lab import Lab
from lab import wait_for

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import guestcheck  # noqa: E402
import lmlab  # noqa: E402

SU = "su1"


@pytest.fixture(scope="module")
def su_lab(tmp_path_factory):
    lb = Lab(str(tmp_path_factory.mktemp("su")), servers=1, mus=1, sus=1, profile="test")
    r = lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
    assert r.returncode == 0, r.stderr
    try:
        wait_for(lambda: sdf(lb, "/SHOW-VM-RESOURCES")[0] == 0, 30, "the SU serving commands")
        yield lb
    finally:
        lb.down()


def sdf(lab, cmd):
    """(exit status, result object) of `sectl sdf su1 CMD --json`."""
    r = lab.sectl("sdf", SU, cmd, "--json")
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"raw": r.stdout + r.stderr}


def ok(lab, cmd):
    rc, res = sdf(lab, cmd)
    assert rc == 0 and res.get("ok"), f"{cmd}: {res}"
    return res


def refused(lab, cmd, msgid):
    """The command fails, names msgid in a message, and exits non-zero."""
    rc, res = sdf(lab, cmd)
    assert rc != 0 and res.get("ok") is False, f"{cmd} was not refused: {res}"
    assert any(msgid in m for m in res["messages"]), f"{cmd}: no {msgid} in {res['messages']}"
    return res


def console(lab, vm=None):
    args = ["console", SU, "--json"] + (["--vm", vm] if vm else [])
    r = lab.sectl(*args)
    assert r.returncode == 0, r.stderr
    return [l["text"] for l in json.loads(r.stdout)["lines"]]


def systems(lab):
    r = lab.sectl("systems", "--json")
    assert r.returncode == 0, r.stderr
    return {s["name"]: s for s in json.loads(r.stdout)["systems"]}


def counter(lab, vm):
    """(boot id, last counter, all reports ok) of vm's console."""
    boots = guestcheck.parse_console("\n".join(console(lab, vm)) + "\n")
    if not boots:
        return None, 0, True
    last = boots[-1]
    return last["boot"], (last["reports"][-1][0] if last["reports"] else 0), \
        not guestcheck.check_console(boots)


def start_guest(lab, name, index, units="A000,A001"):
    ok(lab, f"/CREATE-VM-DEFINITION VM-NAME={name},VM-INDEX={index},MEMORY-SIZE=64,"
            f"DEVICES=*PARAMETERS(UNITS=({units}))")
    ok(lab, f"/ACTIVATE-VM-DEFINITION VM-NAME={name}")
    ok(lab, f"/START-VM IPL-UNIT=A000,VM-ID={name}")
    wait_for(lambda: counter(lab, name)[1] >= 2, 30, f"{name} counting on its console")


def remove_guest(lab, name):
    sdf(lab, f"/DELETE-VM VM-ID={name},CHECK-VM-STATE=*NO")
    sdf(lab, f"/DELETE-VM-DEFINITION VM-NAME={name}")
    wait_for(lambda: name not in systems(lab), 20, f"{name} gone from the systems")


def qemu_pid(lab, vm_index):
    """The pid of the SU's QEMU of vm_index (a child of its guard)."""
    return lmlab.qemu_pid(lab, SU, vm_index)


def test_guest_runs_and_is_shown(su_lab):
    lab = su_lab
    start_guest(lab, "VM1", 2)
    boot, n, good = counter(lab, "VM1")
    wait_for(lambda: counter(lab, "VM1")[1] >= n + 2, 20, "the counter advancing")
    assert good and counter(lab, "VM1")[0] == boot
    row = systems(lab)["VM1"]
    assert row["status"] == "RUNNING" and row["vm_index"] == 2 and row["unit"] == SU
    assert systems(lab)["MONITOR"]["vm_index"] == 1
    # the monitor console has the commands and their messages, timestamped
    mon = console(lab)
    assert any("/START-VM IPL-UNIT=A000,VM-ID=VM1" in l for l in mon)
    assert any("VMS3000" in l and "/START-VM" in l for l in mon)
    # QEMU: a child of the guard, nice 10, in the guard's process group, and none of
    # secd's or the guard's files open (no inherited descriptors)
    pid = qemu_pid(lab, 2)
    assert pid, "no QEMU of VM index 2 under the guard"
    guard = lab.unit(SU)["guard"]["pid"]
    assert os.getpgid(pid) == os.getpgid(guard)
    assert os.getpriority(os.PRIO_PROCESS, pid) == 10
    fds = [os.readlink(f"/proc/{pid}/fd/{f}") for f in os.listdir(f"/proc/{pid}/fd")]
    bad = [f for f in fds if "guard.sock" in f or "logbook" in f or "/crd" in f
           or f.endswith(".crd") or "secd.log" in f or "monitor.log" in f]
    assert not bad, f"QEMU holds descriptors of secd or the guard: {bad}"
    # the guest's marker disk: one boot id, counters rising
    ring = guestcheck.read_ring(os.path.join(lab.dir, "disks", "A001.img"))
    assert not guestcheck.check_ring(ring), guestcheck.check_ring(ring)
    remove_guest(lab, "VM1")


def test_conflicts_are_refused_and_change_nothing(su_lab):
    lab = su_lab
    ok(lab, "/CREATE-VM-DEFINITION VM-NAME=VMA,VM-INDEX=3,MEMORY-SIZE=64,"
            "DEVICES=*PARAMETERS(UNITS=(A000,A002))")
    ok(lab, "/ACTIVATE-VM-DEFINITION VM-NAME=VMA")
    before = systems(lab)
    # the same name, the same index
    refused(lab, "/CREATE-VM-DEFINITION VM-NAME=VMA,VM-INDEX=4,MEMORY-SIZE=64", "VMS4013")
    res = refused(lab, "/CREATE-VM-DEFINITION VM-NAME=VMB,VM-INDEX=3,MEMORY-SIZE=64", "VMS")
    assert any("3" in m for m in res["messages"])
    # A002 is assigned exclusively to VMA: a second initialized VM cannot have it
    ok(lab, "/CREATE-VM-DEFINITION VM-NAME=VMC,VM-INDEX=5,MEMORY-SIZE=64,"
            "DEVICES=*PARAMETERS(UNITS=(A000,A002))")
    res = refused(lab, "/ACTIVATE-VM-DEFINITION VM-NAME=VMC", "VMS")
    assert any("A002" in m for m in res["messages"]), res
    # more memory than the SU has (4096 MiB in the lab)
    refused(lab, "/CREATE-VM VM-NAME=VMD,VM-INDEX=6,MEMORY-SIZE=8192", "VMS4504")
    # a syntax error names the position
    res = refused(lab, "/CREATE-VM-DEFINITION VM-NAME=VME,MEMORY-SIZE=64,BOGUS=1", "CMD0202")
    assert re.search(r"POSITION \d+", " ".join(res["messages"]))
    # memory a guest cannot have: refused when defined, not at activation
    res = refused(lab, "/CREATE-VM-DEFINITION VM-NAME=VMM,MEMORY-SIZE=1", "CMD0202")
    assert any("MEMORY-SIZE 1 MB" in m for m in res["messages"]), res
    refused(lab, "/CREATE-VM-DEFINITION VM-NAME=VMM,MEM=1048576(DIM=*GIGABYTE)", "CMD0202")
    after = systems(lab)
    assert set(after) == set(before) | {"VMC"}, (before, after)
    assert after["VMA"]["status"] == "INIT_ONLY" and after["VMC"]["status"] == "DEFINED_ONLY"
    for n in ("VMA", "VMC"):
        remove_guest(lab, n)


def qemu_has_open(pid, name):
    """True when QEMU pid has a file open whose path ends with name."""
    for f in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{f}").endswith(name):
                return True
        except OSError:
            pass
    return False


def test_tape_detached_and_attached_again(su_lab):
    """Tape T0 is a removable medium: assigned to a running VM its medium goes into the
    guest's drive (QMP), removed it is ejected and its file closed, and again."""
    lab = su_lab
    start_guest(lab, "VMT", 7)
    pid = qemu_pid(lab, 7)
    assert not qemu_has_open(pid, "/tapes/T0.img")
    for _ in range(2):
        ok(lab, "/ADD-VM-DEVICES UNITS=T0,VM-ID=VMT")
        assert qemu_has_open(pid, "/tapes/T0.img"), "the tape's medium is not in the drive"
        assert "T0" in " ".join(ok(lab, "/SHOW-VM-ATTRIBUTES VM-ID=VMT,INFORMATION=*UNITS")
                                ["messages"])
        ok(lab, "/REMOVE-VM-DEVICES UNITS=T0,VM-ID=VMT")
        assert not qemu_has_open(pid, "/tapes/T0.img"), "the ejected tape is still open"
    # the guest kept running through all of it, in the same QEMU
    n = counter(lab, "VMT")[1]
    wait_for(lambda: counter(lab, "VMT")[1] > n, 20, "VMT still counting")
    assert qemu_pid(lab, 7) == pid
    remove_guest(lab, "VMT")


def test_qemu_killed_is_reported(su_lab):
    lab = su_lab
    start_guest(lab, "VMK", 8)
    pid = qemu_pid(lab, 8)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: systems(lab).get("VMK", {}).get("status") not in ("RUNNING", None), 20,
             "VMK no longer RUNNING")
    assert systems(lab)["VMK"]["status"] == "DEFINED_ONLY"
    # the event says what happened, and it reaches the MU (replicated by pull)
    wait_for(lambda: any("VMK" in e["message"] and "signal 9" in e["message"]
                         for e in lab.events("mu1", text="VMK")), 20,
             "an event naming VMK's QEMU killed by signal 9")
    assert any("VMS4022" in l or "VMK" in l for l in console(lab))
    remove_guest(lab, "VMK")


def test_secd_restart_within_fence_timeout_keeps_the_guest(su_lab):
    lab = su_lab
    start_guest(lab, "VMR", 9)
    pid = qemu_pid(lab, 9)
    boot, n, _ = counter(lab, "VMR")
    r = lab.sectl("lab", "kill", "--dir", lab.dir, SU, "--only", "secd")
    assert r.returncode == 0, r.stderr
    r = lab.sectl("lab", "start", "--dir", lab.dir, SU)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: sdf(lab, "/SHOW-VM-RESOURCES")[0] == 0, 30, "the SU serving again")
    assert qemu_pid(lab, 9) == pid, "the guest's QEMU was replaced"
    wait_for(lambda: counter(lab, "VMR")[1] > n + 1, 20, "VMR counting after the restart")
    assert counter(lab, "VMR")[0] == boot  # the same boot: never restarted
    assert systems(lab)["VMR"]["status"] == "RUNNING"
    ok(lab, "/SHOW-VM-ATTRIBUTES VM-ID=VMR")  # managed again
    remove_guest(lab, "VMR")
    wait_for(lambda: qemu_pid(lab, 9) is None, 20, "VMR's QEMU gone after DELETE-VM")


def test_secd_away_longer_than_fence_timeout_fences(su_lab):
    lab = su_lab
    start_guest(lab, "VMF", 10)
    pid = qemu_pid(lab, 10)
    t0 = time.monotonic()
    r = lab.sectl("lab", "kill", "--dir", lab.dir, SU, "--only", "secd")
    assert r.returncode == 0, r.stderr
    # the guard kills the guest once renewals stopped for fence_timeout (2 s)
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 15, "the guard fencing the guest")
    fenced_after = time.monotonic() - t0
    assert fenced_after >= 1.0, f"fenced after {fenced_after:.2f} s, before fence_timeout"
    r = lab.sectl("lab", "start", "--dir", lab.dir, SU)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: systems(lab).get("VMF", {}).get("status") == "FENCED", 30,
             "VMF reported FENCED")
    wait_for(lambda: any("VMF" in e["message"] and "FENCED" in e["message"]
                         for e in lab.events("mu1", text="VMF")), 20, "an event: VMF FENCED")
    assert qemu_pid(lab, 10) is None  # never restarted by the SU itself
    remove_guest(lab, "VMF")


def gone(pid):
    """True once pid has ended (no such process, or a zombie not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_exited(pid, what, timeout=30):
    wait_for(lambda: gone(pid), timeout, what)


def slot_state(lab, unit_name):
    """The unit_state of unit_name's alive message on the first external CRD disk."""
    r = lab.sectl("crd", "inspect", os.path.join(lab.dir, "crd", "ext1"), "--json")
    assert r.returncode == 0, r.stderr
    uid = lab.unit(unit_name)["unit_id"]
    return next(s["unit_state"] for s in json.loads(r.stdout)["slots"] if s["unit"] == uid)


def test_stopping_secd_with_guests_writes_restarting(su_lab):
    """crd.md §4: with guests running a stopping SU writes RESTARTING, never LEFT (its guests
    are not known dead); without guests it writes LEFT."""
    lab = su_lab
    start_guest(lab, "VMS", 11)
    pid = lab.unit(SU)["pid"]
    os.kill(pid, signal.SIGTERM)
    wait_exited(pid, "secd of su1 exiting after SIGTERM")
    assert slot_state(lab, SU) == "RESTARTING"
    r = lab.sectl("lab", "start", "--dir", lab.dir, SU)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: sdf(lab, "/SHOW-VM-RESOURCES")[0] == 0, 30, "the SU serving again")
    # the guest was re-attached, or fenced if the stop took longer than fence_timeout:
    # either way it is reported, never silently lost
    wait_for(lambda: systems(lab).get("VMS", {}).get("status") in ("RUNNING", "FENCED"), 20,
             "VMS RUNNING or FENCED after the restart")
    remove_guest(lab, "VMS")
    wait_for(lambda: qemu_pid(lab, 11) is None, 20, "VMS's QEMU gone")
    pid = lab.unit(SU)["pid"]
    os.kill(pid, signal.SIGTERM)
    wait_exited(pid, "secd of su1 exiting after SIGTERM")
    assert slot_state(lab, SU) == "LEFT"
    r = lab.sectl("lab", "start", "--dir", lab.dir, SU)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: sdf(lab, "/SHOW-VM-RESOURCES")[0] == 0, 30, "the SU serving again")


def test_shutdown_then_start_again(su_lab):
    """/SHUTDOWN-VM is initiated at once; a guest that does not shut down by itself (ours
    ignores ACPI) is stopped after the grace: DOWN, QEMU kept. /START-VM from DOWN resets and
    boots it again: a new boot whose counter goes on from its disk marker."""
    lab = su_lab
    start_guest(lab, "VMD", 12)
    boot, n, _ = counter(lab, "VMD")
    t0 = time.monotonic()
    res = ok(lab, "/SHUTDOWN-VM VM-ID=VMD")
    assert time.monotonic() - t0 < 5, "SHUTDOWN-VM waited for the guest"
    assert any("VMS3001" in m for m in res["messages"]), res
    wait_for(lambda: systems(lab)["VMD"]["status"] == "DOWN", 30, "VMD DOWN")
    pid = qemu_pid(lab, 12)
    assert pid, "QEMU went with the guest: a DOWN VM stays initialized"
    ok(lab, "/START-VM VM-ID=VMD")
    wait_for(lambda: counter(lab, "VMD")[0] not in (None, boot), 20, "VMD booting again")
    wait_for(lambda: counter(lab, "VMD")[1] > n, 20, "VMD counting past its last report")
    assert systems(lab)["VMD"]["status"] == "RUNNING"
    remove_guest(lab, "VMD")


def test_su_events_wait_for_an_mu(su_lab):
    """Events of the SU while no MU answers are kept in the SU's logbook and reach the MU
    when it is back: none lost."""
    lab = su_lab
    start_guest(lab, "VMQ", 13)
    mu = lab.unit("mu1")["pid"]
    lab.kill("mu1")
    wait_exited(mu, "mu1 gone")
    os.kill(qemu_pid(lab, 13), signal.SIGKILL)  # an event on the SU while no MU runs
    mon = os.path.join(lab.dir, "units", SU, "data", "console", "monitor.log")
    wait_for(lambda: any("VMS4022" in l and "VMQ" in l for l in open(mon)), 20,
             "the SU noticing VMQ's QEMU gone (its monitor console)")
    lab.restart("mu1")
    wait_for(lambda: lab.try_status("mu1"), 30, "mu1 answering again")
    wait_for(lambda: any("VMQ" in e["message"] and "signal 9" in e["message"]
                         for e in lab.events("mu1", text="VMQ")), 30,
             "the SU's event from while no MU ran")
    remove_guest(lab, "VMQ")


# accepts qmp_capabilities, then closes the monitor and is killed by SIGKILL 0.3 s later (as a
# QEMU killed while it starts looks to secd; the pause is the scenario, not a wait)
QMP_THEN_KILLED = """c.recv(4096)
c.sendall(b'{"return": {}}\\n')
c.close()
srv.close()
time.sleep(0.3)
os.kill(os.getpid(), signal.SIGKILL)
"""

def test_qemu_killed_after_its_monitor_closed_names_the_kill(su_lab, tmp_path):
    """A QEMU whose monitor closes while it starts and that is reaped a moment later: the
    command's reason is the kill the guard reaped, not "QEMU's monitor closed" (secd waits
    up to SECD_SU_GONE_WAIT_MS for the exit; a session 8 newcomer killed an LM's target QEMU
    0.1 s into its start and read only the close)."""
    lab = su_lab
    fake = lmlab.stand_in_program(tmp_path / "qemu-qmp-then-killed", QMP_THEN_KILLED)
    ok(lab, "/CREATE-VM-DEFINITION VM-NAME=VMK,VM-INDEX=17,MEMORY-SIZE=64,"
            "DEVICES=*PARAMETERS(UNITS=(A000,A001))")
    with lmlab.stand_in_qemu(lab, SU, fake):
        rc, out = sdf(lab, "/ACTIVATE-VM-DEFINITION VM-NAME=VMK")
        text = " ".join(out.get("messages", [])) or out.get("raw", "")
        assert rc != 0 and "was killed by signal 9" in text, out
        assert "monitor closed" not in text, text
    remove_guest(lab, "VMK")


def test_console_paging_never_repeats(su_lab):
    """`next` is the first line not shown: asking for the lines after next - 1 never gives
    a line again (sectl console --follow used to reprint the last line every poll)."""
    lab = su_lab
    st, b = lab.call("mu1", "GET", f"/api/v1/sus/{SU}/console?after=0&limit=5")
    assert st == 200 and b["lines"], b
    assert b["next"] == b["lines"][-1]["seq"] + 1, b
    st, b2 = lab.call("mu1", "GET", f"/api/v1/sus/{SU}/console?after={b['next'] - 1}&limit=5")
    assert st == 200, b2
    assert all(l["seq"] >= b["next"] for l in b2["lines"]), (b, b2)
    r = lab.sectl("console", SU, "--json", "--after", str(b["next"] - 1))
    assert r.returncode == 0, r.stderr
    seqs = [l["seq"] for l in json.loads(r.stdout)["lines"]]
    assert seqs == sorted(set(seqs)) and all(q >= b["next"] for q in seqs), seqs


def test_guard_killed(su_lab):
    """sec-guard killed: its QEMUs die with it (PR_SET_PDEATHSIG); secd keeps running, says
    so in an event, reconnects once the guard is back, and reports the VM's QEMU gone."""
    lab = su_lab
    start_guest(lab, "VMG", 14)
    secd = lab.unit(SU)["pid"]
    r = lab.sectl("lab", "kill", "--dir", lab.dir, SU, "--only", "guard")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: qemu_pid(lab, 14) is None, 20, "VMG's QEMU gone with the guard")
    wait_for(lambda: any("sec-guard" in e["message"] and "not reachable" in e["message"]
                         for e in lab.events("mu1", text="sec-guard")), 20,
             "an event: the guard not reachable")
    assert os.path.exists(f"/proc/{secd}"), "secd ended with its guard"
    # the VM says its QEMU is gone at once, not only once a guard is back (session 7)
    wait_for(lambda: systems(lab).get("VMG", {}).get("status") == "DEFINED_ONLY", 30,
             "VMG NOT INITIALIZED while no guard runs")
    log = os.path.join(lab.dir, "units", SU, "secd.log")

    def connects():
        with open(log, errors="replace") as f:
            return len(re.findall(r"sec-guard \(pid \d+\) connected", f.read()))
    before = connects()
    r = lab.sectl("lab", "start", "--dir", lab.dir, SU)  # brings the guard back
    assert r.returncode == 0, r.stderr + r.stdout
    wait_for(lambda: connects() > before, 30, "secd connected to the new guard")
    assert lab.unit(SU)["pid"] == secd  # the same secd all along
    start_guest(lab, "VMG2", 15, units="A000,A001")  # and it runs guests again
    remove_guest(lab, "VMG2")
    remove_guest(lab, "VMG")


def test_qemu_ended_while_starting_names_only_its_own_end(su_lab, tmp_path):
    """A QEMU that ends while it starts: the command's reason is its exit and the last line
    it wrote itself, never a line an earlier QEMU of the same VM index left in qemu.log (the
    file keeps every QEMU's lines; a session 8 newcomer saw an old LM's "Failed to connect"
    there). [su] qemu points to a stand-in that never opens its QMP socket."""
    lab = su_lab
    fake = tmp_path / "qemu-never-ready"
    fake.write_text("#!/bin/sh\nexec python3 -c 'import time; time.sleep(600)' \"$@\"\n")
    fake.chmod(0o755)
    vmdir = os.path.join(lab.dir, "units", SU, "data", "vm", "16")
    os.makedirs(vmdir, exist_ok=True)
    with open(os.path.join(vmdir, "qemu.log"), "a") as f:
        f.write("qemu-system-x86_64: LEFT BY AN EARLIER QEMU OF INDEX 16\n")
    ok(lab, "/CREATE-VM-DEFINITION VM-NAME=VMQ,VM-INDEX=16,MEMORY-SIZE=64,"
            "DEVICES=*PARAMETERS(UNITS=(A000,A001))")
    with lmlab.stand_in_qemu(lab, SU, fake):
        res = []
        t = threading.Thread(target=lambda: res.append(sdf(lab, "/ACTIVATE-VM-DEFINITION "
                                                             "VM-NAME=VMQ")))
        t.start()
        pid = wait_for(lambda: qemu_pid(lab, 16), 20, "the stand-in QEMU started")
        os.kill(pid, signal.SIGKILL)
        t.join(60)
        rc, out = res[0]
        text = " ".join(out.get("messages", [])) or out.get("raw", "")
        assert rc != 0 and "was killed by signal 9" in text, out
        assert "EARLIER QEMU" not in text, text
    remove_guest(lab, "VMQ")

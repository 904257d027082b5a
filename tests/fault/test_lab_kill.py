"""`sectl lab kill` of an SU that runs a guest (issue 7): the outages the fault tests and an
operator trying the product simulate, each seen the way an operator sees it.

One lab (lmlab.make_lab): 2 SE Servers with 1 MU and 1 SU each, SU Cluster SUC1, timing
profile `test`; guests on su1 started with VM2000 commands through `sectl sdf`.
* `--only qemu`: one line naming the QEMU; secd and the guard keep running; the SU reports
  the VM's QEMU gone (its state, an event naming signal 9).
* `--only secd`: guard and QEMU keep running; `lab start` brings secd back (a new
  incarnation) and it manages the same guest again.
* the default: every process of su1 (secd, QEMU, guard, fake watchdog) gone from /proc,
  the MU shows su1 NOT_ACCESSIBLE; a second kill has nothing left to kill (exit 0, said);
  `lab start` brings su1 back.
* an unknown unit: exit 1 naming it.
Every wait has a deadline (wait_for); the lab is ended by lab down (by PID)."""
import json

import pytest

import lmlab
from lab import wait_for
from guardlab import alive as running

SU = "su1"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = lmlab.make_lab(str(tmp_path_factory.mktemp("labkill")))
    try:
        yield lb
    finally:
        lb.down()


def kill(lab, *args):
    """`sectl lab kill --dir DIR ARGS`: a CompletedProcess."""
    return lmlab.sectl(lab, "lab", "kill", "--dir", lab.dir, *args)


def state(lab, vm):
    return lmlab.vm_state(lab, SU, vm)


def start(lab, vm, index):
    lmlab.start_guest(lab, SU, vm, index)
    pid = lmlab.qemu_pid(lab, SU, index)
    assert pid and running(pid)
    return pid


def remove(lab, vm):
    lmlab.remove_guest(lab, vm)
    wait_for(lambda: state(lab, vm) is None, 20, f"{vm} gone from su1")


def test_only_qemu(lab):
    pid = start(lab, "VKQ", 2)
    before = lab.unit(SU)
    r = kill(lab, SU, "--only", "qemu")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"killed the QEMU of {SU} (pid {pid}) with SIGKILL\n"
    assert not running(pid)
    after = lab.unit(SU)
    assert after["running"] and after["pid"] == before["pid"]
    assert after["guard"]["running"] and after["guard"]["pid"] == before["guard"]["pid"]
    wait_for(lambda: state(lab, "VKQ") not in ("RUNNING", None), 20,
             "su1 reporting VKQ no longer RUNNING")
    assert state(lab, "VKQ") == "NOT INITIALIZED"
    wait_for(lambda: any("VKQ" in e["message"] and "signal 9" in e["message"]
                         for e in lab.events("mu1", text="VKQ")), 20,
             "an event naming VKQ's QEMU killed by signal 9")
    remove(lab, "VKQ")


def test_only_secd_then_start(lab):
    pid = start(lab, "VKS", 3)
    before = lab.unit(SU)
    n = lmlab.last_n(lab, SU, "VKS")
    r = kill(lab, SU, "--only", "secd")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"killed the secd of {SU} (pid {before['pid']}) with SIGKILL\n"
    # the guests' owner outlives secd: the guard and the QEMU keep running
    assert not running(before["pid"]) and running(pid)
    assert running(before["guard"]["pid"]) and running(before["guard"]["fakewd_pid"])
    r = lmlab.sectl(lab, "lab", "start", "--dir", lab.dir, SU)  # within fence_timeout
    assert r.returncode == 0, r.stdout + r.stderr
    again = lab.unit(SU)
    assert r.stdout == f"started {SU} (pid {again['pid']})\n"
    assert again["guard"]["pid"] == before["guard"]["pid"]
    wait_for(lambda: state(lab, "VKS") == "RUNNING", 30, "the new secd managing VKS")
    assert lmlab.qemu_pid(lab, SU, 3) == pid, "the guest's QEMU was replaced"
    lmlab.guest_continues(lab, SU, "VKS", n)  # the same guest counting on
    lmlab.ok(lab, SU, "/SHOW-VM-ATTRIBUTES VM-ID=VKS")
    remove(lab, "VKS")


def test_only_guard_then_start(lab):
    """The guard dies: its guests die with it (PR_SET_PDEATHSIG; the lab's fake watchdog
    also resets its process group). secd, still running, must not go on showing them
    RUNNING (it did until a guard came back: session 7 newcomer): the VM's state and an
    event say the QEMU ended with its sec-guard. `lab start` brings the guard back."""
    pid = start(lab, "VKG", 5)
    before = lab.unit(SU)
    r = kill(lab, SU, "--only", "guard")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: not running(pid), 20, "VKG's QEMU gone with its guard")
    assert running(before["pid"]), "secd itself keeps running"
    wait_for(lambda: state(lab, "VKG") not in ("RUNNING", None), 20,
             "su1 no longer reporting VKG RUNNING")
    wait_for(lambda: any("VKG" in e["message"] and "ended with its sec-guard" in e["message"]
                         for e in lab.events("mu1", text="VKG")), 20,
             "an event: VKG's QEMU ended with its sec-guard")
    r = lmlab.sectl(lab, "lab", "start", "--dir", lab.dir, SU)
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: lab.unit(SU)["guard"]["running"], 20, "su1's guard back")
    # secd says when it has the guard again; from then on guests start
    wait_for(lambda: any("reachable again" in e["message"]
                         for e in lab.events("mu1", text="sec-guard")), 20,
             "an event: su1's guard reachable again")
    pid2 = start(lab, "VKH", 6)
    assert running(pid2)
    remove(lab, "VKH")
    remove(lab, "VKG")


def test_everything_of_the_su_then_start(lab):
    qemu = start(lab, "VKA", 4)
    u = lab.unit(SU)
    g = u["guard"]
    r = kill(lab, SU)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"killed the secd of {SU} (pid {u['pid']}) with SIGKILL",
        f"killed the QEMU of {SU} (pid {qemu}) with SIGKILL",
        f"killed the guard of {SU} (pid {g['pid']}) with SIGKILL",
        f"killed the fake watchdog of {SU} (pid {g['fakewd_pid']}) with SIGKILL"]
    for pid in (u["pid"], qemu, g["pid"], g["fakewd_pid"]):
        assert not running(pid), f"pid {pid} of su1 still runs"
    st = lab.unit(SU)
    assert not (st["running"] or st["guard"]["running"] or st["guard"]["fakewd_running"]), st
    assert st["guard"]["qemu_pids"] == []

    def su1_heartbeat():
        r = lmlab.sectl(lab, "units", "--json")
        if r.returncode:
            return None
        return next(x for x in json.loads(r.stdout)["units"]
                    if x["name"] == SU)["network_heartbeat"] == "NOT_ACCESSIBLE"
    wait_for(su1_heartbeat, 30, "the MU showing su1's network heartbeat NOT_ACCESSIBLE")

    r = kill(lab, SU)  # the outage is there already
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"nothing to kill: nothing of {SU} runs (recorded secd pid {u['pid']})\n"

    r = lmlab.sectl(lab, "lab", "start", "--dir", lab.dir, SU)
    assert r.returncode == 0, r.stdout + r.stderr
    st = lab.unit(SU)
    assert st["running"] and st["guard"]["running"] and st["guard"]["fakewd_running"], st
    assert st["pid"] != u["pid"] and st["guard"]["pid"] != g["pid"]
    wait_for(lambda: state(lab, "VKA") is not None, 30, "su1 serving again")
    assert state(lab, "VKA") == "NOT INITIALIZED"  # died with the host, not restarted
    assert lmlab.qemu_pid(lab, SU, 4) is None
    remove(lab, "VKA")


def test_unknown_unit(lab):
    r = kill(lab, "su9")
    assert r.returncode == 1 and f"the lab in '{lab.dir}' has no unit 'su9'" in r.stderr
    assert r.stdout == ""

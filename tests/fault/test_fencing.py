"""Fencing of an SU's guests when its secd stops renewing (issue 7; crd.md §4 "Fencing
layers"; docs/guard.md), the cases that need no /RECOVER-VM-DEFINITION and that other
modules do not cover already:

* SIGSTOP of sec-guard and secd together for twice the dead bound: the (fake) watchdog
  killed the guard's process group, the guest with it; the woken secd has fenced itself:
  it writes nothing more to its slot and exits with status 3 "fenced" (crd.md §4); the
  SU started again shows the guest NOT INITIALIZED (its new guard never knew it).
* SIGSTOP of secd alone for twice the dead bound, then SIGCONT: the guard fenced the guest
  within fence_timeout; the woken secd exits "fenced" without touching its alive message
  (same incarnation and counter: never revived, crd.md §4 layer 3), ever older on the
  Master MU; a restarted secd (a new incarnation) shows it FENCED and never starts it.
* SIGTERM of secd with a guest running: the slot says RESTARTING; secd not back within
  fence_timeout, the guest is fenced; the restarted secd shows it FENCED, not started.

Covered elsewhere: kill -9 of secd alone, back within fence_timeout (guest RUNNING and
managed again) and not back (fenced; FENCED after the restart, not started):
test_su.py::test_secd_restart_within_fence_timeout_keeps_the_guest and
::test_secd_away_longer_than_fence_timeout_fences, test_lab_kill.py::test_only_secd_then_start;
the guard alone SIGSTOPped under the fake watchdog, and fencing at fence_timeout after the
last renewal: test_guard.py.

Deadlines come from the SU's alive message (`sectl crd inspect`: fence_ms, watchdog_ms,
dead_bound_ms of the `test` profile it advertises) plus SLACK for a shared, noisy machine.
One lab (lmlab.make_lab: 2 SE Servers x (1 MU + 1 SU), SU Cluster SUC1); every test leaves
su1 running again (all of its processes continued, killed and started) even when it fails."""
import json, os, time

import pytest

import lmlab
from lab import wait_for
from guardlab import alive as running

SU = "su1"
SLACK = 10.0  # s on top of a bound of the profile: the machine is shared and busy


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = lmlab.make_lab(str(tmp_path_factory.mktemp("fencing")))
    try:
        yield lb
    finally:
        lb.down()


def sectl_lab(lab, *args):
    r = lmlab.sectl(lab, "lab", args[0], "--dir", lab.dir, *args[1:])
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def restore(lab):
    """su1 as new: every process of it continued, then killed, then started (guard, fake
    watchdog, secd: a new incarnation) and serving commands."""
    lmlab.sectl(lab, "lab", "kill", "--dir", lab.dir, SU, "--signal", "CONT")
    sectl_lab(lab, "kill", SU)
    sectl_lab(lab, "start", SU)
    wait_for(lambda: lmlab.sdf(lab, SU, "/SHOW-VM-RESOURCES")[0] == 0, 30, "su1 serving")


@pytest.fixture
def guest(lab):
    """A guest on su1 (name, VM index, QEMU pid, su1's alive message before the fault);
    afterwards su1 is restored and the guest removed."""
    vm, index = "VF", 2
    lmlab.start_guest(lab, SU, vm, index)
    pid = lmlab.qemu_pid(lab, SU, index)
    assert pid and running(pid)
    try:
        yield vm, index, pid, lmlab.slot(lab, SU)
    finally:
        restore(lab)
        lmlab.remove_guest(lab, vm)
        wait_for(lambda: lmlab.vm_state(lab, SU, vm) is None, 20, f"{vm} removed")


def su1_units_row(lab):
    """su1's row of `sectl units --json` (the Master MU's view), or None."""
    r = lmlab.sectl(lab, "units", "--json")
    if r.returncode:
        return None
    return next(u for u in json.loads(r.stdout)["units"] if u["name"] == SU)


def wait_alive_age(lab, ms):
    """Until the Master MU shows su1's alive message unchanged for ms (its own clock)."""
    def old():
        row = su1_units_row(lab)
        return row if row and row["alive_age_ms"] >= ms else None
    return wait_for(old, ms / 1000 + SLACK, f"su1's alive message {ms} ms old on the MU")


def wait_fenced(pid, t0, s, what):
    """Until the QEMU pid is gone, by fence_timeout + SLACK after t0; not before
    fence_timeout minus the renewal that may have preceded t0. Returns seconds after t0."""
    t = s["timing"]
    wait_for(lambda: not running(pid), t["fence_ms"] / 1000 + SLACK, what)
    took = time.monotonic() - t0
    early = (t["fence_ms"] - t["renew_ms"] - 2 * t["io_ms"]) / 1000
    assert took >= early, f"the guest was gone {took:.2f} s after the fault, before fence_timeout"
    return took


def signal_secd_until_fenced(lab, sig, qemu, s, line, check=None):
    """`lab kill --only secd --signal SIG` of su1 (its output: line with {su} and {pid}),
    check() right after it, then until the guard fenced the guest's QEMU (wait_fenced).
    Returns su1's `lab status` entry from before."""
    u = lab.unit(SU)
    t0 = time.monotonic()
    out = sectl_lab(lab, "kill", SU, "--only", "secd", "--signal", sig)
    assert out == line.format(su=SU, pid=u["pid"])
    if check:
        check()
    took = wait_fenced(qemu, t0, s, f"the guard fencing the guest after secd's SIG{sig}")
    print(f"fenced {took:.2f} s after SIG{sig} (fence_timeout {s['timing']['fence_ms']} ms)")
    return u


def assert_slot_stays(lab, before, vm, index, state):
    """Over one dead bound, with secd awake: su1's alive message keeps the incarnation and
    counter of `before` (never revived), vm (VM index) has no QEMU and stays `state`
    (None: not checked)."""
    deadline = time.monotonic() + before["dead_bound_ms"] / 1000
    while time.monotonic() < deadline:
        now = lmlab.slot(lab, SU)
        assert (now["incarnation"], now["counter"]) == (before["incarnation"],
                                                        before["counter"]), (before, now)
        assert lmlab.qemu_pid(lab, SU, index) is None, "the SU started the guest again"
        assert state is None or lmlab.vm_state(lab, SU, vm) == state
        time.sleep(before["timing"]["renew_ms"] / 1000)


def assert_dead_on_the_mu(lab, s):
    """The Master MU shows su1's alive message older than twice its dead bound and, where
    the API has the verdict (issue 7's alive_* fields), dead."""
    row = wait_alive_age(lab, 2 * s["dead_bound_ms"])
    if "alive_verdict" in row:
        assert row["alive_verdict"] == "dead", row


def test_guard_and_secd_stopped_watchdog_kills_the_guest(lab, guest):
    vm, index, qemu, s = guest
    u = lab.unit(SU)
    t0 = time.monotonic()
    out = sectl_lab(lab, "kill", SU, "--only", "secd,guard", "--signal", "STOP")
    assert out.splitlines() == [f"sent SIGSTOP to the secd of {SU} (pid {u['pid']})",
                                f"sent SIGSTOP to the guard of {SU} (pid {u['guard']['pid']})"]
    # nothing pets the watchdog: after W it kills the guard's process group, QEMU with it
    wait_for(lambda: not running(qemu), s["timing"]["watchdog_ms"] / 1000 + SLACK,
             "the fake watchdog killing the guest")
    print(f"guest gone {time.monotonic() - t0:.2f} s after SIGSTOP "
          f"(W {s['timing']['watchdog_ms']} ms, fence_timeout {s['timing']['fence_ms']} ms)")
    wait_for(lambda: not running(u["guard"]["pid"]), SLACK, "the stopped guard killed too")
    wd_log = os.path.join(lab.dir, "units", SU, "fakewd.log")
    assert "fired: not petted for" in open(wd_log).read()
    assert_dead_on_the_mu(lab, s)
    stopped = lmlab.slot(lab, SU)  # where the alive message stopped
    assert stopped["incarnation"] == s["incarnation"]

    sectl_lab(lab, "kill", SU, "--only", "secd", "--signal", "CONT")
    # crd.md §4: the woken secd has fenced itself: nothing more to its slot, exit "fenced"
    wait_for(lambda: not lab.unit(SU)["running"], 30, "the woken secd exiting (fenced)")
    log = open(os.path.join(lab.dir, "units", SU, "secd.log")).read()
    assert "exits with status 3 (fenced)" in log, log[-2000:]
    assert_slot_stays(lab, stopped, vm, index, None)
    sectl_lab(lab, "start", SU)  # a new guard, fake watchdog and secd (a new incarnation)
    wait_for(lambda: lmlab.vm_state(lab, SU, vm) == "NOT INITIALIZED", 30,
             f"the restarted secd showing {vm} NOT INITIALIZED (its guard is new)")
    assert lmlab.qemu_pid(lab, SU, index) is None


def test_secd_stopped_then_woken_does_not_revive(lab, guest):
    vm, index, qemu, s = guest
    u = signal_secd_until_fenced(lab, "STOP", qemu, s,
                                 "sent SIGSTOP to the secd of {su} (pid {pid})\n")
    assert running(u["guard"]["pid"]), "the guard ended: the watchdog, not the guard, acted"
    assert_dead_on_the_mu(lab, s)
    stopped = lmlab.slot(lab, SU)  # where the alive message stopped
    assert stopped["incarnation"] == s["incarnation"] and stopped["unit_state"] == "RUNNING"

    sectl_lab(lab, "kill", SU, "--only", "secd", "--signal", "CONT")
    # crd.md §4: after self-fencing secd writes nothing more to its slot and exits with
    # status "fenced" (3)
    wait_for(lambda: not lab.unit(SU)["running"], 30, "the woken secd exiting (fenced)")
    log = open(os.path.join(lab.dir, "units", SU, "secd.log")).read()
    assert "exits with status 3 (fenced)" in log, log[-2000:]
    assert_slot_stays(lab, stopped, vm, index, None)
    row = su1_units_row(lab)
    assert row["alive_age_ms"] >= 2 * s["dead_bound_ms"], row  # ever older, never renewed

    # a new incarnation keeps the guest FENCED and does not start it
    sectl_lab(lab, "kill", SU, "--only", "secd")
    sectl_lab(lab, "start", SU)
    wait_for(lambda: lmlab.vm_state(lab, SU, vm) == "FENCED", 30,
             f"the restarted secd showing {vm} FENCED")
    assert_new_incarnation_keeps_fenced(lab, s, vm, index)


def assert_new_incarnation_keeps_fenced(lab, before, vm, index):
    """su1's restarted secd is a new incarnation that renews (its counter moves) and still
    shows vm FENCED without starting it."""
    first = lmlab.slot(lab, SU)
    assert first["incarnation"] != before["incarnation"]
    wait_for(lambda: lmlab.slot(lab, SU)["counter"] > first["counter"], SLACK,
             "the new incarnation renewing")
    assert lmlab.qemu_pid(lab, SU, index) is None
    assert lmlab.vm_state(lab, SU, vm) == "FENCED"


def test_secd_terminated_restarting_then_fenced(lab, guest):
    vm, index, qemu, s = guest

    def restarting():  # with guests a stopping SU writes RESTARTING, never LEFT
        assert lmlab.slot(lab, SU)["unit_state"] == "RESTARTING"
        row = su1_units_row(lab)
        if "alive_state" in row:  # issue 7's alive_* fields of the API
            assert row["alive_state"] == "RESTARTING", row
    signal_secd_until_fenced(lab, "TERM", qemu, s,
                             "ended the secd of {su} (pid {pid}) with SIGTERM\n", restarting)
    assert lmlab.slot(lab, SU)["unit_state"] == "RESTARTING"
    sectl_lab(lab, "start", SU)
    wait_for(lambda: lmlab.vm_state(lab, SU, vm) == "FENCED", 30,
             f"the restarted secd showing {vm} FENCED")
    assert_new_incarnation_keeps_fenced(lab, s, vm, index)

"""The alive message of every SU as `sectl units` shows it (issue 7, first bullet; crd.md
§4–§5; status.md §1 "Alive message").

One lab per module: 2 SE Servers with 1 MU and 1 SU each, timing profile `test`. The dead
bound is computed from su2's timings as `secd -n` prints its configuration (crd.md §4:
fence_timeout + W + 2 x io_timeout + margin), never hard-coded. Every snapshot seen must
obey the rule the verdict rests on: an alive message younger than the dead bound is never
dead, a dead one is at least the dead bound old. Whatever a test stops it continues or
ends (try/finally); waits use deadlines, never fixed sleeps."""
import json, os, re, shutil, signal, subprocess, time

import pytest

from cluster_lab import Lab, SECD
from lab import wait_for

SLACK_S = 15  # publication (1 s), observer polls, a loaded 2-core machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = Lab(str(tmp_path_factory.mktemp("alive")), servers=2, mus=1, sus=1, profile="test")
    try:
        r = lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
        assert r.returncode == 0, r.stderr
        yield lb
    finally:
        lb.down()


def timings_ms(lab, unit):
    """The [timing] keys of unit's configuration as secd reads it (`secd -n`), in ms."""
    cfg = os.path.join(lab.dir, "units", unit, "secd.conf")
    r = subprocess.run([SECD, "-n", "--config", cfg], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    out, section = {}, None
    for line in r.stdout.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
            continue
        m = re.match(r"(\w+) = (\d+(?:\.\d+)?)(ms|s)$", line.strip())
        if section == "timing" and m:
            out[m[1]] = float(m[2]) * (1 if m[3] == "ms" else 1000)
    return out


def dead_bound_ms(t):
    return t["fence_timeout"] + t["watchdog"] + 2 * t["io_timeout"] + t["margin"]


def units(lab):
    """{name: unit} of `sectl units --json`, each checked against the verdict's rule."""
    r = lab.sectl("units", "--json")
    assert r.returncode == 0, r.stderr
    out = {u["name"]: u for u in json.loads(r.stdout)["units"]}
    for u in out.values():
        age, bound = u.get("alive_age_ms"), u.get("dead_bound_ms")
        if age is None or bound is None:
            continue
        if u["alive_verdict"] == "dead" and u["alive_state"] != "LEFT":
            assert age >= bound, f"dead before the dead bound: {u}"
        if age < bound:
            assert u["alive_verdict"] == "alive", f"not alive within the dead bound: {u}"
    return out


def su(lab, name):
    """unit name of the status snapshot; {} before the first snapshot names it."""
    return units(lab).get(name, {})


def table_row(lab, name):
    r = lab.sectl("units")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    head = re.split(r"\s{2,}", lines[1].strip())
    for line in lines[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == name:
            return dict(zip(head, cells))
    raise AssertionError(f"no row {name} in:\n{r.stdout}")


def lab_signal(lab, unit, sig, only="secd,guard"):
    r = lab.sectl("lab", "kill", "--dir", lab.dir, unit, "--signal", sig, "--only", only)
    assert r.returncode == 0, r.stdout + r.stderr


def restart(lab, unit):
    """kill -9 of what is left of unit, then `sectl lab start` (secd, guard, watchdog)."""
    lab.sectl("lab", "kill", "--dir", lab.dir, unit)
    r = lab.sectl("lab", "start", "--dir", lab.dir, unit)
    assert r.returncode == 0, r.stdout + r.stderr


def test_both_sus_alive(lab):
    bound = dead_bound_ms(timings_ms(lab, "su2"))
    renew = timings_ms(lab, "su2")["renew_interval"]
    for name in ("su1", "su2"):
        wait_for(lambda: su(lab, name).get("alive_verdict") == "alive", 30, f"{name} alive")
        u = su(lab, name)
        assert u["alive_state"] == "RUNNING" and u["alive_reason"] == "alive message changing"
        assert u["dead_bound_ms"] == bound, u  # derived from the advertised timings
        # a small age: the observer reads every renew_interval
        wait_for(lambda: su(lab, name)["alive_age_ms"] < 3 * renew + 1000, 30,
                 f"{name}'s alive message younger than {3 * renew + 1000} ms")
        row = table_row(lab, name)
        assert row["Verdict"] == "alive" and row["Alive msg"].endswith(" s ago"), row


def test_stopped_su_is_dead_after_the_bound(lab):
    """SIGSTOP of su2's secd and guard: dead once the dead bound has passed, not before; the
    woken secd does not revive its expired slot (crd.md §4 fencing layer 3): dead until it
    is started again."""
    t = timings_ms(lab, "su2")
    bound = dead_bound_ms(t) / 1000
    wait_for(lambda: su(lab, "su2").get("alive_verdict") == "alive", 30, "su2 alive")
    t0 = time.monotonic()
    lab_signal(lab, "su2", "STOP")
    try:
        seen = []

        def dead():
            u = su(lab, "su2")
            seen.append((round(time.monotonic() - t0, 2), u.get("alive_verdict"),
                         u.get("alive_age_ms")))
            return u if u.get("alive_verdict") == "dead" else None
        try:
            u = wait_for(dead, bound + SLACK_S, "su2 dead", interval=0.1)
        except AssertionError as e:
            raise AssertionError(f"{e}; seen: {seen}") from None
        after = time.monotonic() - t0
        # its last renewal was issued at most one renew_interval before the stop
        assert after >= bound - t["renew_interval"] / 1000, (after, seen)
        assert u["alive_reason"] == "alive message unchanged for dead_bound"
        assert u["alive_state"] == "RUNNING" and u["alive_age_ms"] >= dead_bound_ms(t)
        assert table_row(lab, "su2")["Verdict"] == "dead"
        assert su(lab, "su1")["alive_verdict"] == "alive"
    finally:
        lab_signal(lab, "su2", "CONT")
    # awake, but its last renewal is older than fence_timeout: it never writes its slot
    # again, so it stays dead for another dead bound (the age keeps growing)
    age0 = su(lab, "su2")["alive_age_ms"]
    wait_for(lambda: su(lab, "su2")["alive_age_ms"] >= age0 + dead_bound_ms(t), bound + SLACK_S,
             "su2's alive message ageing on after SIGCONT")
    assert su(lab, "su2")["alive_verdict"] == "dead"
    restart(lab, "su2")
    wait_for(lambda: su(lab, "su2").get("alive_verdict") == "alive", 30, "su2 alive after a start")
    assert table_row(lab, "su2")["Verdict"] == "alive"


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                    reason="qemu-system-x86_64 not installed (scripts/install-deps.sh)")
def test_sigterm_with_a_guest_is_restarting(lab):
    """SIGTERM of su1's secd while a guest runs: its slot says RESTARTING, the verdict stays
    alive within the dead bound (RESTARTING is treated like RUNNING), dead after it."""
    import lmlab
    t = timings_ms(lab, "su1")
    bound = dead_bound_ms(t) / 1000
    wait_for(lambda: lmlab.sdf(lab, "su1", "/SHOW-VM-RESOURCES")[0] == 0, 30, "su1 serving")
    lmlab.start_guest(lab, "su1", "VMT", 5)
    seen = []
    try:
        pid = lab.unit("su1")["pid"]
        lab.kill("su1", signal.SIGTERM)

        def dead():
            # units() checks every snapshot: alive while younger than the dead bound
            u = su(lab, "su1")
            seen.append((u.get("alive_state"), u.get("alive_verdict"), u.get("alive_age_ms")))
            return u if u.get("alive_verdict") == "dead" else None
        u = wait_for(dead, bound + SLACK_S, "su1 dead after the bound", interval=0.1)
        wait_for(lambda: not os.path.exists(f"/proc/{pid}/status") or
                 "zombie" in open(f"/proc/{pid}/status").read(), 30, "su1's secd exiting")
        assert u["alive_state"] == "RESTARTING" and u["alive_age_ms"] >= dead_bound_ms(t)
        assert ("RESTARTING", "alive") in [s[:2] for s in seen], seen
        assert table_row(lab, "su1")["Verdict"] == "dead (RESTARTING)"
    finally:
        restart(lab, "su1")
        wait_for(lambda: su(lab, "su1").get("alive_verdict") == "alive", 30, "su1 alive again")
        wait_for(lambda: lmlab.sdf(lab, "su1", "/SHOW-VM-RESOURCES")[0] == 0, 30,
                 "su1 serving again")
        lmlab.remove_guest(lab, "VMT")

"""sectl lab kill|start of one unit (issue 3 "The local lab"; make demo uses both).

One lab of 1 SE Server x 2 MUs, test timing profile: kill (SIGKILL by default) ends the
unit's recorded PID and says so; kill of a unit that does not run and start of one that
runs are refused naming it; start brings a killed unit back as a new incarnation, records
its PID in lab.json (so that down stops it) and returns once its alive message is on the
CRD; STOP and CONT; usage errors. Every process is ended by its PID; waits have deadlines.
"""
import os, shutil, tempfile
import pytest
from lab import SectlLab, pid_runs_secd, wait_for


@pytest.fixture(scope="module")
def lab():
    d = tempfile.mkdtemp(prefix="sec-labunit-")
    lab = SectlLab(os.path.join(d, "lab"), "--profile", "test", "--servers", "1",
                   "--mus-per-server", "2")
    try:
        lab.up()
        yield lab
    finally:
        lab.close()
        shutil.rmtree(d)


def unit(lab, name):
    """The unit from `sectl lab status --json` plus its config from lab.json."""
    u = next(u for u in lab.status()["units"] if u["name"] == name)
    u["config"] = next(r["config"] for r in lab.recorded()["units"] if r["name"] == name)
    return u


def test_kill_then_start_a_new_incarnation(lab):
    st = lab.status()
    other = unit(lab, next(u["name"] for u in st["units"] if u["name"] != st["master_mu"]))
    r = lab.run("kill", other["name"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"killed {other['name']} (pid {other['pid']}) with SIGKILL\n"
    assert not pid_runs_secd(other["pid"], other["config"])
    assert not unit(lab, other["name"])["running"]

    r = lab.run("kill", other["name"])
    assert r.returncode == 1
    assert f"unit '{other['name']}' is not running (recorded pid {other['pid']})" in r.stderr

    r = lab.run("start", other["name"])
    assert r.returncode == 0, r.stderr
    again = unit(lab, other["name"])
    assert again["running"] and again["pid"] != other["pid"]
    assert r.stdout == f"started {other['name']} (pid {again['pid']})\n"
    assert lab.recorded()["units"][[u["name"] for u in st["units"]].index(other["name"])][
        "pid"] == again["pid"]
    assert pid_runs_secd(again["pid"], again["config"])
    log = open(again["log"]).read()
    assert log.count("started on 2 external CRD disks") == 2  # two incarnations, one log

    r = lab.run("start", other["name"])
    assert r.returncode == 1
    assert f"unit '{other['name']}' runs already (pid {again['pid']})" in r.stderr


def test_stop_and_cont(lab):
    name = lab.status()["master_mu"]
    pid = unit(lab, name)["pid"]
    r = lab.run("kill", name, "--signal", "STOP")
    assert r.returncode == 0 and r.stdout == f"sent SIGSTOP to {name} (pid {pid})\n"
    wait_for(lambda: open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "T", 5,
             "the unit stopped")
    r = lab.run("kill", name, "--signal", "SIGCONT")
    assert r.returncode == 0 and r.stdout == f"sent SIGCONT to {name} (pid {pid})\n"
    wait_for(lambda: open(f"/proc/{pid}/stat").read().split(") ")[1][0] != "T", 5,
             "the unit continued")


def test_usage(lab):
    r = lab.run("kill", "mu1", "--signal", "HUP")
    assert r.returncode == 2 and "--signal 'HUP': one of KILL, TERM, STOP, CONT" in r.stderr
    r = lab.run("start")
    assert r.returncode == 2 and "start needs a UNIT" in r.stderr
    r = lab.run("kill", "mu9")
    assert r.returncode == 1 and "has no unit 'mu9'" in r.stderr


def test_down_stops_the_restarted_unit(lab):
    units = lab.recorded()["units"]
    r = lab.down()
    assert r.returncode == 0, r.stderr
    for u in units:
        assert f"stopped {u['name']} (pid {u['pid']})" in r.stdout
        assert not pid_runs_secd(u["pid"], u["config"])

"""sectl lab kill|start of one unit (issue 3 "The local lab"; make demo uses both).

One lab of 1 SE Server x 2 MUs, test timing profile: kill (SIGKILL by default) ends the
unit's recorded PID and says so; kill of a unit that does not run says there is nothing to
kill (exit 0), start of one that runs is refused naming it; start brings a killed unit back as a new incarnation, records
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
    assert r.stdout == f"killed the secd of {other['name']} (pid {other['pid']}) with SIGKILL\n"
    assert not pid_runs_secd(other["pid"], other["config"])
    assert not unit(lab, other["name"])["running"]

    r = lab.run("kill", other["name"])  # the outage is there already: said, exit 0
    assert r.returncode == 0, r.stderr
    assert r.stdout == (f"nothing to kill: nothing of {other['name']} runs "
                        f"(recorded secd pid {other['pid']})\n")

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
    assert r.returncode == 0 and r.stdout == f"sent SIGSTOP to the secd of {name} (pid {pid})\n"
    wait_for(lambda: open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "T", 5,
             "the unit stopped")
    r = lab.run("kill", name, "--signal", "SIGCONT")
    assert r.returncode == 0 and r.stdout == f"sent SIGCONT to the secd of {name} (pid {pid})\n"
    wait_for(lambda: open(f"/proc/{pid}/stat").read().split(") ")[1][0] != "T", 5,
             "the unit continued")


def test_usage(lab):
    r = lab.run("kill", "mu1", "--signal", "INT")
    assert r.returncode == 2 and "--signal 'INT': one of KILL, TERM, STOP, CONT, HUP" in r.stderr
    r = lab.run("start")
    assert r.returncode == 2 and "start needs a UNIT" in r.stderr
    r = lab.run("kill", "mu9")
    assert r.returncode == 1 and "has no unit 'mu9'" in r.stderr
    for cmd in ("kill", "start"):
        r = lab.run(cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"usage: sectl lab {cmd} --dir DIR UNIT")


def test_down_stops_the_restarted_unit(lab):
    units = lab.recorded()["units"]
    r = lab.down()
    assert r.returncode == 0, r.stderr
    for u in units:
        assert f"stopped {u['name']} (pid {u['pid']})" in r.stdout
        assert not pid_runs_secd(u["pid"], u["config"])


def test_sim_units_in_the_topology_answered_by_hb_sim():
    """--sim-units 3: three SUs in the topology and lab.json only (no secd, pid 0); up
    waits for the real unit; start refuses one; bench/hb-sim --lab answers their heartbeat
    and the Master MU shows them NORMAL."""
    import json, signal, subprocess
    from lab import BUILD, SECTL
    with tempfile.TemporaryDirectory(prefix="sec-labsim-") as d:
        lab = SectlLab(os.path.join(d, "lab"), "--profile", "test", "--servers", "1",
                       "--mus-per-server", "1", "--sim-units", "3")
        sim = None
        try:
            r = lab.up()
            assert "and 3 simulated units sim1..sim3 (SU, no secd)" in r.stdout
            units = lab.status()["units"]
            assert [(u["name"], u["pid"], u["running"], u.get("simulated", False))
                    for u in units] == [("mu1", units[0]["pid"], True, False),
                                        ("sim1", 0, False, True), ("sim2", 0, False, True),
                                        ("sim3", 0, False, True)]
            assert [u["unit_id"] for u in units] == [1, 17, 18, 19]
            assert sorted(os.listdir(os.path.join(lab.d, "units"))) == ["mu1"]
            r = lab.run("start", "sim2")
            assert r.returncode == 1 and "unit 'sim2' is simulated" in r.stderr
            sim = subprocess.Popen([os.path.join(BUILD, "bench/hb-sim"), "--lab", lab.d],
                                   stdout=subprocess.PIPE, text=True)
            assert sim.stdout.readline() == "hb-sim: 3 responders ready\n"
            env = dict(os.environ, SECTL_CONFIG=os.path.join(lab.d, "sectl.conf"))
            subprocess.run([SECTL, "login", "--password-file",
                            os.path.join(lab.d, "admin.password")], env=env, check=True,
                           capture_output=True)

            def heartbeats():
                r = subprocess.run([SECTL, "units", "--json"], env=env, capture_output=True,
                                   text=True)
                if r.returncode:
                    return None
                got = {u["name"]: u["network_heartbeat"] for u in json.loads(r.stdout)["units"]}
                return got == {n: "NORMAL" for n in ("mu1", "sim1", "sim2", "sim3")}
            wait_for(heartbeats, 20, "every simulated unit's heartbeat NORMAL")
            sim.send_signal(signal.SIGTERM)
            out = sim.communicate(timeout=10)[0]
            assert "hb-sim: challenges answered " in out and ", unauthenticated 0," in out
        finally:
            if sim and sim.poll() is None:
                sim.kill()
                sim.wait()
            lab.close()
    r = SectlLab(os.path.join(d, "lab2"), "--sim-units", "129").up(check=False)
    assert r.returncode == 2 and "--sim-units '129' is not a number in 0..128" in r.stderr

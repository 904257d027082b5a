"""sectl lab up|status|down (issue 3 "The local lab"; testing.md "Lab").

One lab of 2 SE Servers x (2 MUs + 1 SU), test timing profile: every unit runs, one Master
MU (an MU), the configurations pass `secd -n`, no unit inherits a file descriptor of sectl;
kill -9 of the master's secd -> another MU becomes master; up refuses a directory with a
running lab; down stops every unit by PID (checked), a second down is fine. A unit whose
secd cannot start makes up fail with its log's end and leaves nothing running. --netns:
each server in its own namespace; an nft DROP on one server's veth cuts it and is undone.
Every process is ended by its PID; waits have deadlines.
"""
import json, os, shutil, signal, stat, subprocess, tempfile
import pytest
from lab import BUILD, GUARD_BUILT, SECTL, SectlLab, pid_runs, pid_runs_secd, wait_for

SECD = os.path.join(BUILD, "src/secd/secd")
UNITS = ["mu1", "mu2", "mu3", "mu4", "su1", "su2"]


@pytest.fixture(scope="module")
def lab():
    d = tempfile.mkdtemp(prefix="sec-lab-")
    lab = SectlLab(os.path.join(d, "lab"), "--profile", "test", "--servers", "2",
                   "--mus-per-server", "2", "--sus-per-server", "1")
    try:
        lab.up_result = lab.up()
        yield lab
    finally:
        lab.close()
        shutil.rmtree(d)


def test_up_prints_master_units_and_next_steps(lab):
    out = lab.up_result.stdout
    st = lab.status()
    master = st["master_mu"]
    assert master in ("mu1", "mu2", "mu3", "mu4")
    assert f"Master MU: {master} (" in out
    for u in st["units"]:
        guard = str(u["guard"]["pid"]) if u["role"] == "SU" else "-"
        assert f"  {u['name']:<6} {u['role']:<4} {u['server']:<9} {u['pid']:<8} {guard:<13} " \
            f"{u['api']}" in out
    pw_file = os.path.join(lab.d, "admin.password")
    pw = open(pw_file).read().strip()
    assert len(pw) == 16 and not set(pw) & set("0O1lI")
    assert stat.S_IMODE(os.stat(pw_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(lab.d, "cluster.key")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(lab.d).st_mode) == 0o700
    assert out.count(pw) == 1  # printed once
    for line in (f"export SECTL_CONFIG={lab.d}/sectl.conf",
                 f"sectl login --password-file {lab.d}/admin.password",
                 "sectl cluster status", f"sectl lab down --dir {lab.d}"):
        assert line in out
    mus = [u["api"] for u in st["units"] if u["role"] == "MU"]
    assert open(os.path.join(lab.d, "sectl.conf")).read() == \
        f"[sectl]\napi = {','.join(mus)}\ntoken_file = sectl.token\n"


def test_status_lists_every_unit_running(lab):
    st = lab.status()
    assert st["dir"] == lab.d
    assert [u["name"] for u in st["units"]] == UNITS
    roles = {u["name"]: (u["role"], u["server"], u["unit_id"]) for u in st["units"]}
    assert roles == {"mu1": ("MU", "server1", 1), "mu2": ("MU", "server1", 2),
                     "mu3": ("MU", "server2", 3), "mu4": ("MU", "server2", 4),
                     "su1": ("SU", "server1", 17), "su2": ("SU", "server2", 18)}
    assert all(u["running"] for u in st["units"]), st
    base = lab.recorded()["base_port"]
    for u in st["units"]:
        assert u["api"] == f"127.0.0.1:{base + u['unit_id']}"
        assert u["heartbeat"] == f"127.0.0.1:{base + 100 + u['unit_id']}"
        assert pid_runs_secd(u["pid"], os.path.join(lab.d, "units", u["name"], "secd.conf"))
        assert "started on 2 external CRD disks" in open(u["log"]).read()
    human = lab.run("status", check=True).stdout
    assert "6 of 6 units running" in human and f"Master MU: {st['master_mu']} (term" in human
    # the region-0 document that cluster init wrote from the lab's topology
    show = json.loads(subprocess.run([SECTL, "cluster", "show", "--json", "--crd",
                                      os.path.join(lab.d, "crd/ext1")], check=True,
                                     capture_output=True, text=True).stdout)
    assert [u["name"] for u in show["units"]] == UNITS
    assert [s["model"] for s in show["servers"]] == ["SE lab", "SE lab"]
    assert [a["name"] for a in show["accounts"]] == ["admin"]


def test_configs_pass_secd_n(lab):
    for u in lab.status()["units"]:
        conf = os.path.join(lab.d, "units", u["name"], "secd.conf")
        r = subprocess.run([SECD, "-n", "--config", conf], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "unsafe_crd_fs = true" in r.stdout and "profile = test" in r.stdout
        assert f"key_file = {lab.d}/cluster.key" in r.stdout
        assert f"internal = {lab.d}/units/{u['name']}/internal" in r.stdout
        assert ("su_type = x86" if u["role"] == "SU" else "su_type = none") in r.stdout


def test_units_inherit_no_fd(lab):
    """fd 0 is /dev/null, 1 and 2 the unit's log; nothing else of sectl's (lab.json, its
    directory lock, a terminal)."""
    for u in lab.status()["units"]:
        fds = {}
        for fd in os.listdir(f"/proc/{u['pid']}/fd"):
            try:
                fds[int(fd)] = os.readlink(f"/proc/{u['pid']}/fd/{fd}")
            except FileNotFoundError:
                pass
        assert fds[0] == "/dev/null" and fds[1] == fds[2] == u["log"], fds
        for fd, target in fds.items():
            if target.startswith("/"):
                assert target == "/dev/null" or target.startswith(lab.d + "/"), (u, fd, target)
                assert target != lab.d and not target.endswith("lab.json"), (u, fd, target)
            else:
                assert target.split(":")[0] in ("pipe", "anon_inode", "socket"), (u, fd, target)


# ---- the SUs: devices, [su] configuration, guard and fake watchdog (issue 4) ----

def test_su_devices_are_shared_files_and_one_local_disk_each(lab):
    disks = os.path.join(lab.d, "disks")
    assert sorted(os.listdir(disks)) == [f"A{i:03X}.img" for i in range(16)]
    for i in range(1, 16):  # sparse 64 MiB: nothing written yet
        st = os.stat(os.path.join(disks, f"A{i:03X}.img"))
        assert st.st_size == 64 << 20 and st.st_blocks * 512 < 1 << 20, (i, st)
    image = lab.recorded()["guest_image"]
    a000 = open(os.path.join(disks, "A000.img"), "rb").read()
    if image:  # the demo guest, as built
        assert a000 == open(image, "rb").read() and a000[:4] == b"\x7fELF"
        assert "no demo guest image" not in lab.up_result.stdout
    else:
        assert set(a000) <= {0} and "no demo guest image" in lab.up_result.stdout
    assert os.stat(os.path.join(lab.d, "tapes/T0.img")).st_size == 64 << 20
    confs = []
    for su in ("su1", "su2"):
        assert os.stat(os.path.join(lab.d, "units", su, "L0.img")).st_size == 64 << 20
        lines = [l.split() for l in open(os.path.join(lab.d, "units", su, "io.conf"))
                 if l.strip() and not l.startswith("#")]
        assert [l[0] for l in lines] == [f"A{i:03X}" for i in range(16)] + ["T0", "L0"]
        assert lines[0] == ["A000", "D3490-30", "disk", "C0", "00", f"{disks}/A000.img"]
        assert lines[16] == ["T0", "TAPE-U4", "tape", "C1", "00", f"{lab.d}/tapes/T0.img"]
        assert lines[17] == ["L0", "D3435", "local-disk", "C2", "00",
                             f"{lab.d}/units/{su}/L0.img"]
        confs.append(lines[:17])
    assert confs[0] == confs[1]  # the same shared devices on every SU


def test_su_config_section(lab):
    for su in ("su1", "su2"):
        conf = os.path.join(lab.d, "units", su, "secd.conf")
        r = subprocess.run([SECD, "-n", "--config", conf], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        for line in (f"io_config = {lab.d}/units/{su}/io.conf", "accel = tcg",
                     "memory_mib = 4096", "max_vms = 32", "max_vm_definitions = 98",
                     f"guard_socket = {lab.d}/units/{su}/data/guard.sock"):
            assert line in r.stdout, (line, r.stdout)


def test_su_guard_and_fake_watchdog_run(lab):
    st = lab.status()
    for u in st["units"]:
        if u["role"] == "MU":
            assert "guard" not in u
            continue
        g = u["guard"]
        udir = os.path.join(lab.d, "units", u["name"])
        assert g["enabled"] and g["running"] and g["fakewd_running"], g
        assert pid_runs(g["pid"], "sec-guard", os.path.join(udir, "data"))
        assert pid_runs(g["fakewd_pid"], "sec-fakewd", os.path.join(udir, "fakewd.sock"))
        assert g["socket"] == os.path.join(udir, "data/guard.sock")
        assert stat.S_ISSOCK(os.stat(g["socket"]).st_mode)
        assert stat.S_ISSOCK(os.stat(os.path.join(udir, "fakewd.sock")).st_mode)
        assert g["qemu_pids"] == []
    human = lab.run("status", check=True).stdout
    su1 = next(u for u in st["units"] if u["name"] == "su1")
    assert f"{su1['guard']['pid']}, 0 QEMU" in human


def test_kill_only_then_start_su(lab):
    """kill --only ends the processes named and no other: the fake watchdog, then secd,
    then the guard; start brings the three back (new PIDs, recorded in lab.json)."""
    def su2():
        return next(u for u in lab.status()["units"] if u["name"] == "su2")
    before = su2()
    g = before["guard"]
    r = lab.run("kill", "su2", "--only", "fakewd")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"killed the fake watchdog of su2 (pid {g['fakewd_pid']}) with SIGKILL\n"
    u = su2()
    assert u["running"] and u["guard"]["running"] and not u["guard"]["fakewd_running"]
    r = lab.run("kill", "su2", "--only", "secd")
    assert r.returncode == 0 and \
        r.stdout == f"killed the secd of su2 (pid {before['pid']}) with SIGKILL\n"
    u = su2()
    assert not u["running"] and u["guard"]["running"]  # the guests' owner outlives secd
    r = lab.run("kill", "su2", "--only", "guard,qemu")
    assert r.returncode == 0, r.stderr
    assert f"killed the guard of su2 (pid {g['pid']}) with SIGKILL" in r.stdout
    assert not su2()["guard"]["running"]
    r = lab.run("kill", "su2", "--only", "guard")
    assert r.returncode == 0 and r.stdout.startswith(
        "nothing to kill: none of --only guard runs for su2"), r
    r = lab.run("kill", "su2")  # secd, guard and fake watchdog are gone already
    assert r.returncode == 0 and r.stdout.startswith("nothing to kill: nothing of su2 runs"), r
    r = lab.run("kill", "su2", "--only", "disk")
    assert r.returncode == 2 and "--only 'disk'" in r.stderr
    r = lab.run("kill", "mu1", "--only", "qemu")
    assert r.returncode == 1 and "is an MU" in r.stderr
    r = lab.run("start", "su2", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    u = su2()
    assert u["running"] and u["guard"]["running"] and u["guard"]["fakewd_running"], u
    assert u["pid"] != before["pid"] and u["guard"]["pid"] != g["pid"]
    rec = next(x for x in lab.recorded()["units"] if x["name"] == "su2")
    assert (rec["pid"], rec["guard_pid"], rec["fakewd_pid"]) == \
        (u["pid"], u["guard"]["pid"], u["guard"]["fakewd_pid"])
    # the default: every process of the SU (the host going away), then back again
    r = lab.run("kill", "su2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"killed the secd of su2 (pid {u['pid']}) with SIGKILL"
    assert f"killed the guard of su2 (pid {u['guard']['pid']}) with SIGKILL" in r.stdout
    assert f"killed the fake watchdog of su2 (pid {u['guard']['fakewd_pid']})" in r.stdout
    u = su2()
    assert not (u["running"] or u["guard"]["running"] or u["guard"]["fakewd_running"]), u
    r = lab.run("start", "su2", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_up_refuses_a_running_lab(lab):
    r = lab.run("up", "--profile", "test")
    assert r.returncode == 1
    assert f"'{lab.d}' holds a running lab: mu1 (pid " in r.stderr
    assert f"sectl lab down --dir {lab.d}" in r.stderr
    assert all(u["running"] for u in lab.status()["units"])


def test_kill_master_another_takes_over(lab):
    st = lab.status()
    old = next(u for u in st["units"] if u["name"] == st["master_mu"])
    os.kill(old["pid"], signal.SIGKILL)
    new = wait_for(lambda: (lambda m: m if m not in (None, old["name"]) else None)(lab.master()),
                   15, "another Master MU after kill -9 of the master")
    assert new.startswith("mu")
    st = lab.status()
    running = {u["name"]: u["running"] for u in st["units"]}
    assert running == {n: n != old["name"] for n in UNITS}


def test_down_stops_everything(lab):
    units = lab.recorded()["units"]
    r = lab.down()
    assert r.returncode == 0, r.stderr
    for u in units:
        assert not pid_runs_secd(u["pid"], u["config"]), f"{u['name']} still runs"
    st = lab.status()
    assert st["master_mu"] is None and not any(u["running"] for u in st["units"])
    stopped = [l for l in r.stdout.splitlines()
               if l.startswith("stopped ") and not l.startswith("stopped the ")]
    assert len(stopped) == len(UNITS) - 1  # the master was killed before
    # each SU's guard, then its fake watchdog, after the secds (by PID)
    for u in units:
        if u["role"] == "SU":
            assert f"stopped the guard of {u['name']} (pid {u['guard_pid']})" in r.stdout
            assert f"stopped the fake watchdog of {u['name']} (pid {u['fakewd_pid']})" in r.stdout
            assert not pid_runs(u["guard_pid"], "sec-guard", os.path.join(lab.d, "units",
                                                                           u["name"], "data"))
    # every survivor wrote LEFT
    ins = json.loads(subprocess.run([SECTL, "crd", "inspect", "--json",
                                     os.path.join(lab.d, "crd/ext1")], check=True,
                                    capture_output=True, text=True).stdout)
    states = [s["unit_state"] for s in ins["slots"]]
    assert states.count("LEFT") == len(UNITS) - 1
    r = lab.down()
    assert r.returncode == 0 and "was running" in r.stdout
    r = lab.run("up")
    assert r.returncode == 1 and "holds a stopped lab" in r.stderr


def test_failed_unit_fails_up_and_leaves_nothing_running():
    """mu2's secd refuses to start (its internal CRD disk is damaged just before): up fails
    with mu2's log, stops the others, exit 1. Runs next to the module's lab: its own ports."""
    with tempfile.TemporaryDirectory(prefix="sec-lab-") as d:
        wrapper = os.path.join(d, "secd-wrapper")
        with open(wrapper, "w") as f:
            f.write(f"""#!/bin/sh
# secd --role R --config FILE: damage mu2's internal disk, then run the real secd
case "$4" in */units/mu2/secd.conf)
    dd if=/dev/urandom of="$(dirname "$4")/internal" bs=4096 count=2 conv=notrunc status=none;;
esac
exec {SECD} "$@"
""")
        os.chmod(wrapper, 0o755)
        lab = SectlLab(os.path.join(d, "lab"), "--profile", "test", "--sus-per-server", "1",
                       env={"SECLUSTER_SECD": wrapper})
        try:
            r = lab.up(check=False)
            assert r.returncode == 1, r.stdout + r.stderr
            assert "sectl lab: unit 'mu2' (pid " in r.stderr and "exited with status 1" in r.stderr
            assert "has a damaged superblock" in r.stderr  # the tail of mu2's log
            assert "up failed; nothing of the lab runs" in r.stderr
            for u in lab.recorded()["units"]:
                assert u["pid"] > 0
                assert not pid_runs_secd(u["pid"], u["config"]), f"{u['name']} still runs"
                if u["role"] == "SU":  # its guard and fake watchdog were stopped too
                    assert u["guard_pid"] > 0 and u["fakewd_pid"] > 0
                    assert not pid_runs(u["guard_pid"], "sec-guard", os.path.join(
                        os.path.dirname(u["config"]), "data"))
                    assert not pid_runs(u["fakewd_pid"], "sec-fakewd", os.path.join(
                        os.path.dirname(u["config"]), "fakewd.sock"))
            assert not os.path.exists(os.path.join(d, "lab", "sectl.conf"))
        finally:
            lab.close()


def test_guest_image_and_no_guard():
    """--guest-image: A000 is a copy of it (a missing one is refused before anything is
    made); --no-guard: the SU runs secd alone, status says the guard is off."""
    with tempfile.TemporaryDirectory(prefix="sec-lab-") as d:
        bad = SectlLab(os.path.join(d, "bad"), "--servers", "1", "--mus-per-server", "1",
                       "--sus-per-server", "1", "--guest-image", os.path.join(d, "none.elf"))
        r = bad.up(check=False)
        assert r.returncode == 1 and f"guest image '{d}/none.elf' is not a readable file" \
            in r.stderr
        assert not os.path.exists(os.path.join(d, "bad"))
        image = os.path.join(d, "guest.elf")
        with open(image, "wb") as f:
            f.write(b"\x7fELF" + bytes(range(256)) * 9)
        lab = SectlLab(os.path.join(d, "lab"), "--profile", "test", "--servers", "1",
                       "--mus-per-server", "1", "--sus-per-server", "1", "--guest-image", image,
                       "--no-guard")
        try:
            r = lab.up()
            assert "no demo guest image" not in r.stdout
            assert open(os.path.join(lab.d, "disks/A000.img"), "rb").read() == \
                open(image, "rb").read()
            assert lab.recorded()["guest_image"] == image and lab.recorded()["no_guard"]
            su = next(u for u in lab.status()["units"] if u["role"] == "SU")
            assert su["running"] and su["guard"]["enabled"] is False
            assert su["guard"]["pid"] == 0 and not su["guard"]["running"]
            r = lab.run("kill", "su1", "--only", "guard")
            assert r.returncode == 1 and "runs without a guard (--no-guard)" in r.stderr
        finally:
            lab.close()


def test_usage_and_refusals():
    with tempfile.TemporaryDirectory(prefix="sec-lab-") as d:
        lab = SectlLab(os.path.join(d, "lab"), "--servers", "9")
        r = lab.up(check=False)
        assert r.returncode == 2 and "--servers '9' is not a number in 1..8" in r.stderr
        open(os.path.join(d, "stray"), "w").close()
        r = SectlLab(d).up(check=False)
        assert r.returncode == 1 and "is not empty" in r.stderr
        r = SectlLab(os.path.join(d, "none")).run("status")
        assert r.returncode == 1 and "no lab in" in r.stderr


SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"
IP, NFT = shutil.which("ip", path=SBIN), shutil.which("nft", path=SBIN)


def have_netns():
    return os.geteuid() == 0 and IP and NFT


def ns_exec(ns, *cmd, timeout=10):
    return subprocess.run([IP, "netns", "exec", ns, *cmd], capture_output=True, text=True,
                          timeout=timeout)


def can_connect(ns, addr, port):
    code = f"import socket; socket.create_connection(('{addr}', {port}), timeout=1).close()"
    return ns_exec(ns, "/usr/bin/python3", "-c", code).returncode == 0


@pytest.mark.skipif(not have_netns(), reason="--netns needs root, ip (iproute2) and nft")
def test_netns_one_namespace_per_server_and_a_cut():
    with tempfile.TemporaryDirectory(prefix="sec-lab-") as d:
        lab = SectlLab(os.path.join(d, "lab"), "--profile", "test", "--mus-per-server", "1",
                       "--netns")
        listener = None
        try:
            out = lab.up().stdout
            assert "one network namespace per SE Server" in out
            ns = lab.recorded()["netns"]
            s1, s2 = ns["namespaces"]
            st = lab.status()
            for u in st["units"]:
                n = s1 if u["server"] == "server1" else s2
                assert u["api"].startswith(n["address"] + ":")
                r = subprocess.run([IP, "netns", "identify", str(u["pid"])],
                                   capture_output=True, text=True, check=True)
                assert r.stdout.strip() == n["name"]
            # a listener in server1's namespace, reached from server2's
            listener = subprocess.Popen(
                [IP, "netns", "exec", s1["name"], "/usr/bin/python3", "-c",
                 "import socket, sys\n"
                 f"s = socket.create_server(('{s1['address']}', 0))\n"
                 "print(s.getsockname()[1], flush=True)\n"
                 "while True: s.accept()[0].close()\n"],
                stdout=subprocess.PIPE, text=True)
            port = int(listener.stdout.readline())
            assert can_connect(s2["name"], s1["address"], port)
            master = st["master_mu"]
            table = f"slcut{ns['tag']}"
            subprocess.run([NFT, "add", "table", "netdev", table], check=True)
            try:
                subprocess.run([NFT, "add", "chain", "netdev", table, "in",
                                f"{{ type filter hook ingress device {s1['veth']} priority 0; "
                                "policy drop; }"], check=True)
                assert not can_connect(s2["name"], s1["address"], port)
                # the CRD is not the network: the Master MU stays
                assert lab.master() == master
            finally:
                subprocess.run([NFT, "delete", "table", "netdev", table], check=True)
            wait_for(lambda: can_connect(s2["name"], s1["address"], port), 10,
                     "the link of server1 back after the cut")
            r = lab.down()
            assert r.returncode == 0
            assert f"removed network namespace {s1['name']} (server1)" in r.stdout
            assert f"removed bridge {ns['bridge']}" in r.stdout
            names = subprocess.run([IP, "netns", "list"], capture_output=True,
                                   text=True).stdout
            assert s1["name"] not in names and s2["name"] not in names
            assert not os.path.exists(f"/sys/class/net/{ns['bridge']}")
        finally:
            if listener:
                listener.kill()
                listener.wait()
            lab.close()

"""secd with real processes on real CRD files (issue 3 "The daemon secd"; crd.md §1, §4, §5).

Three MUs (test profile, unsafe_crd_fs) on one external set elect exactly one Master MU; the
master stops with SIGTERM and another takes over; after all stop, every slot says LEFT. A
unit whose external path is not a disk of the recorded set refuses to start naming the disk;
a second secd on the same data directory refuses (lock); `secd -n` on a bad file exits 2
naming the key and the line. Every process is ended by its PID; waits have deadlines.
"""
import json, os, signal, subprocess, tempfile, time
import pytest
from lab import BUILD, SECTL, CLUSTER_ID, wait_for, format_set, LEASE, CLAIM, RENEW

SECD = os.path.join(BUILD, "src/secd/secd")
PASSWORD = "Zq7-unusual-Pass-4711"


def format_cluster(d, n_ext):
    """Formats an external set and writes the global data of mu1..mu3 on server1 (secd runs
    only on a CRD with global data) and the cluster key d/cluster.key (mode 0600)."""
    disks = format_set(d, n_ext)
    format_cluster_on(d, disks)
    return disks


def format_cluster_on(d, disks):
    """Writes the global data of mu1..mu3 on the formatted set disks, and d/cluster.key."""
    topo = os.path.join(d, "topology.json")
    units = [{"name": f"mu{u}", "unit_id": u, "role": "MU", "server": "server1",
              "api": f"127.0.0.1:{17300 + u}", "heartbeat": f"127.0.0.1:{17400 + u}"}
             for u in (1, 2, 3)]
    with open(topo, "w") as f:
        json.dump({"name": "t", "servers": [{"name": "server1"}], "units": units}, f)
    pw = os.path.join(d, "pw")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    subprocess.run([SECTL, "cluster", "init", *sum([["--crd", p] for p in disks], []),
                    "--topology", topo, "--password-file", pw], check=True,
                   stdout=subprocess.DEVNULL)
    key = os.path.join(d, "cluster.key")
    if not os.path.exists(key):
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (os.urandom(32).hex() + "\n").encode())
        os.close(fd)


def write_config(d, unit, disks, profile="test", extra="", name=None):
    name = name or f"mu{unit}"
    data = os.path.join(d, name)
    os.makedirs(data, exist_ok=True)
    path = os.path.join(d, f"{name}.conf")
    with open(path, "w") as f:
        f.write(f"""# secd test configuration of mu{unit}
[unit]
name = mu{unit}
se_server = server1
role = mu
unit_id = {unit}
data_dir = {data}

[crd]
external = {", ".join(disks)}
unsafe_crd_fs = true

[cluster]
key_file = {os.path.join(d, "cluster.key")}

[net]
api_listen = 127.0.0.1:{17300 + unit}
heartbeat_listen = 127.0.0.1:{17400 + unit}

[timing]
profile = {profile}
{extra}""")
    return path


class Secd:
    def __init__(self, d, unit, conf):
        self.unit, self.conf = unit, conf
        self.err = os.path.join(d, f"mu{unit}.log")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([SECD, "--role", "mu", "--config", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.err, "a"))

    def log(self):
        with open(self.err) as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def term(self, timeout=5):
        """SIGTERM by PID; returns the exit status (SIGKILL after timeout: a failure)."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed"


def masters(units):
    """Units whose log says they are Master MU now (last transition line)."""
    out = []
    for u in units:
        lines = [l for l in u.log().splitlines() if "Master MU" in l]
        if lines and "no longer" not in lines[-1]:
            out.append(u)
    return out


def slot_states(disk):
    out = subprocess.run([SECTL, "crd", "inspect", "--json", disk], check=True,
                         capture_output=True, text=True).stdout
    return {s["unit"]: s["unit_state"] for s in json.loads(out)["slots"]}


def test_three_mus_elect_one_master_and_hand_over():
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        disks = format_cluster(d, 2)
        units = [Secd(d, u, write_config(d, u, disks)) for u in (1, 2, 3)]
        try:
            for u in units:
                u.start()
            first = wait_for(lambda: masters(units), 15, "a Master MU")
            assert len(first) == 1, f"two masters: {[u.unit for u in first]}"
            m = first[0]
            assert f"secd: unit 'mu{m.unit}' (MU, unit {m.unit}): Master MU (term " in m.log()
            t0 = time.monotonic()
            assert m.term() == 0
            assert "no longer Master MU" in m.log() and "stopped" in m.log()
            rest = [u for u in units if u is not m]
            nxt = wait_for(lambda: masters(rest), 15, "another Master MU after SIGTERM")
            took = time.monotonic() - t0
            assert len(nxt) == 1
            # a released lease is taken over without waiting for lease_timeout (R4)
            assert took < LEASE + CLAIM + 2 * RENEW + 3, f"takeover took {took:.1f} s"
            term1 = int(m.log().split("Master MU (term ")[1].split(")")[0])
            term2 = int(nxt[0].log().split("Master MU (term ")[1].split(")")[0])
            assert term2 > term1
            for u in rest:
                assert u.term() == 0
        finally:
            for u in units:
                u.term()
        for disk in disks:
            assert slot_states(disk) == {1: "LEFT", 2: "LEFT", 3: "LEFT"}
        # a clean stop leaves no pid file behind (second newcomer test)
        left = [f for f in os.listdir(d) if os.path.exists(os.path.join(d, f, "secd.pid"))]
        assert not left, f"secd.pid left in {left}"


def test_wrong_external_path_refused_naming_the_disk():
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        disks = format_set(d, 2)
        other = os.path.join(d, "other")
        os.mkdir(other)
        foreign = format_set(other, 2)  # same cluster id, another disk set
        conf = write_config(d, 1, [disks[0], foreign[1]])
        r = subprocess.run([SECD, "--role", "mu", "--config", conf], capture_output=True,
                           text=True, timeout=20)
        assert r.returncode == 1
        assert f"external disk '{foreign[1]}'" in r.stderr
        assert "is not in the disk set recorded on the CRD" in r.stderr
        # one disk of the set missing from the configuration: named by its disk id
        conf = write_config(d, 1, disks[:1])
        r = subprocess.run([SECD, "--role", "mu", "--config", conf], capture_output=True,
                           text=True, timeout=20)
        assert r.returncode == 1 and "is not among the configured external disks" in r.stderr
        assert slot_states(disks[0]) == {}  # nothing written


def test_second_secd_on_same_data_dir_refused():
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        disks = format_cluster(d, 1)
        a = Secd(d, 1, write_config(d, 1, disks))
        try:
            a.start()
            wait_for(lambda: "started" in a.log(), 10, "the first secd to start")
            r = subprocess.run([SECD, "--role", "mu", "--config", a.conf], capture_output=True,
                               text=True, timeout=20)
            assert r.returncode == 1
            assert (f"data directory '{os.path.join(d, 'mu1')}' is locked by another secd "
                    f"(pid {a.proc.pid})") in r.stderr
            assert a.alive()
        finally:
            assert a.term() == 0


def test_duplicate_unit_id_refused():
    """Another identity (another data directory) in a running unit's slot: refused."""
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        disks = format_cluster(d, 1)
        a = Secd(d, 1, write_config(d, 1, disks))
        try:
            a.start()
            wait_for(lambda: "started" in a.log(), 10, "the first secd to start")
            conf = write_config(d, 1, disks, name="copy")
            r = subprocess.run([SECD, "--role", "mu", "--config", conf], capture_output=True,
                               text=True, timeout=20)
            assert r.returncode == 1
            assert "cannot start: duplicate unit id 1: its slot holds identity" in r.stderr
            assert "sectl crd release-slot --unit-id 1" in r.stderr  # what to do
            # release-slot refuses while the unit runs (its alive message changes)
            r = subprocess.run([SECTL, "crd", "release-slot", "--unit-id", "1", *disks],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 1 and "unit 1 is running" in r.stderr, r.stderr
            # the same unit restarted (same data directory) takes its slot over at once
            assert a.term() == 0
            a.start()
            wait_for(lambda: a.log().count("M2000 activated") == 2, 10, "the restarted secd")
            # its data directory lost: after a clean stop the slot is released at once and
            # the unit starts with a new data directory
            assert a.term() == 0
            r = subprocess.run([SECTL, "crd", "release-slot", "--unit-id", "1", *disks],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0 and "released the slot of unit 1" in r.stdout, r.stderr
            b = Secd(d, 1, conf)
            b.err = os.path.join(d, "copy.log")
            b.start()
            try:
                wait_for(lambda: "M2000 activated" in b.log(), 20, "the unit with a new data dir")
            finally:
                assert b.term() == 0
        finally:
            assert a.term() == 0


def slot_timing(disk, unit):
    out = subprocess.run([SECTL, "crd", "inspect", "--json", disk], check=True,
                         capture_output=True, text=True).stdout
    return next((s["timing"] for s in json.loads(out)["slots"] if s["unit"] == unit), None)


def test_sighup_reload():
    """SIGHUP: a new renew_interval is advertised by the next renewal; unit_id needs a
    restart and keeps its value."""
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        disks = format_cluster(d, 1)
        a = Secd(d, 1, write_config(d, 1, disks))
        try:
            a.start()
            wait_for(lambda: (slot_timing(disks[0], 1) or {}).get("renew_ms") == 200, 10,
                     "the first renewal")
            text = open(a.conf).read().replace("unit_id = 1", "unit_id = 5")
            with open(a.conf, "w") as f:
                f.write(text + "renew_interval = 250ms\n")
            a.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "key 'unit_id' changed from '1' to '5': needs a restart; "
                     "keeping '1'" in a.log(), 10, "the reload's restart warning")
            wait_for(lambda: (slot_timing(disks[0], 1) or {}).get("renew_ms") == 250, 10,
                     "a renewal advertising renew_interval 250 ms")
            assert slot_timing(disks[0], 5) is None
        finally:
            assert a.term() == 0


def test_refuses_crd_without_global_data_and_another_clusters_data_dir():
    """A CRD without global data (no `sectl cluster init`) is refused naming what to do; a
    data directory used by one cluster refuses to run a unit of another cluster."""
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        os.makedirs(os.path.join(d, "bare"))
        bare = format_set(os.path.join(d, "bare"), 1)
        conf = write_config(d, 1, bare)
        fd = os.open(os.path.join(d, "cluster.key"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, (os.urandom(32).hex() + "\n").encode())
        os.close(fd)
        r = subprocess.run([SECD, "--role", "mu", "--config", conf], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1, r.stderr
        assert "the CRD holds no global data" in r.stderr and "sectl cluster init" in r.stderr
        # cluster A runs once in the data directory ...
        a_dir = os.path.join(d, "a")
        os.makedirs(a_dir)
        disks = format_cluster(a_dir, 1)
        a = Secd(d, 1, write_config(d, 1, disks))
        a.start()
        try:
            wait_for(lambda: "M2000 activated" in a.log(), 20, "mu1 running on cluster A")
        finally:
            assert a.term() == 0
        # ... a second cluster (same disk paths, new cluster id) is refused in that directory
        for p in disks:
            os.unlink(p)
        subprocess.run([SECTL, "crd", "format", "--cluster-id",
                        "5ec1a5e7-0000-4000-8000-0000000000b2", "--role", "external",
                        "--unsafe-crd-fs", *disks], check=True, stdout=subprocess.DEVNULL)
        format_cluster_on(a_dir, disks)
        r = subprocess.run([SECD, "--role", "mu", "--config", a.conf], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1, r.stderr
        assert "belongs to cluster " + CLUSTER_ID in r.stderr, r.stderr
        assert "fresh data directory" in r.stderr


def test_check_bad_config_names_key_and_line():
    with tempfile.TemporaryDirectory(prefix="sec-secd-") as d:
        conf = write_config(d, 1, ["/nonexistent/ext1"], extra="io_timeout = 0.3x\n")
        r = subprocess.run([SECD, "-n", "--config", conf], capture_output=True, text=True)
        assert r.returncode == 2
        line = open(conf).read().splitlines().index("io_timeout = 0.3x") + 1
        assert r.stderr.strip() == \
            f"secd: {conf}:{line}: key 'io_timeout': '0.3x' is not a duration"
        good = write_config(d, 2, ["/nonexistent/ext1"])
        r = subprocess.run([SECD, "-n", "--config", good], capture_output=True, text=True)
        assert r.returncode == 0 and "io_timeout = 300ms" in r.stdout

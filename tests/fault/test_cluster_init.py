"""`sectl cluster init|show` on real CRD files (issue 3 "The daemon secd", "API and CLI";
crd.md §5 last bullet: init writes region 0 only on a freshly formatted CRD whose lease was
never held; docs/topology.md).

Init on a fresh set, then show lists the servers, units and the account admin without its
hash or the token key; a second init is refused naming the disk and changes no byte; init
after a crd-contender held the lease is refused naming the term; a bad topology is refused
naming the field; a weak password naming the rule; the password never appears in `ps`
output nor on stdout/stderr. Every process is ended by its PID; waits have deadlines.
"""
import hashlib, json, os, subprocess, tempfile, threading
import pytest
from lab import SECTL, Contender, wait_for, format_set

PASSWORD = "Zq7-unusual-Pass-4711"

TOPOLOGY = {
    "name": "lab-cluster",
    "servers": [
        {"name": "server1", "model": "SE710", "location": "Room 1"},
        {"name": "server2", "model": "SE710", "location": "Room 2"},
    ],
    "units": [
        {"name": "mu1", "unit_id": 1, "role": "MU", "server": "server1",
         "api": "127.0.0.1:17301", "heartbeat": "127.0.0.1:17401"},
        {"name": "mu2", "unit_id": 2, "role": "MU", "server": "server2",
         "api": "127.0.0.1:17302", "heartbeat": "127.0.0.1:17402"},
        {"name": "su1", "unit_id": 17, "role": "SU", "su_type": "390", "server": "server2",
         "api": "127.0.0.1:17317", "heartbeat": "127.0.0.1:17417"},
    ],
}


@pytest.fixture
def d():
    with tempfile.TemporaryDirectory(prefix="sec-init-") as t:
        yield t


def files(d, topology=TOPOLOGY, password=PASSWORD):
    topo, pw = os.path.join(d, "topo.json"), os.path.join(d, "pw")
    with open(topo, "w") as f:
        json.dump(topology, f)
    with open(pw, "w") as f:
        f.write(password + "\n")
    return topo, pw


def init(disks, topo, pw):
    args = [SECTL, "cluster", "init", "--topology", topo, "--password-file", pw]
    for p in disks:
        args += ["--crd", p]
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def show(disks, *extra):
    return subprocess.run([SECTL, "cluster", "show", *sum([["--crd", p] for p in disks], []),
                           *extra], capture_output=True, text=True)


def digest(paths):
    """SHA-256 of every data extent (offset and bytes) of the sparse files, and their sizes."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            fd, size, off = f.fileno(), os.fstat(f.fileno()).st_size, 0
            h.update(f"{p} {size}".encode())
            while off < size:
                try:
                    off = os.lseek(fd, off, os.SEEK_DATA)
                except OSError:
                    break
                end = os.lseek(fd, off, os.SEEK_HOLE)
                h.update(str(off).encode())
                h.update(os.pread(fd, end - off, off))
                off = end
    return h.hexdigest()


def test_init_then_show(d):
    disks = format_set(d, n_ext=2)
    topo, pw = files(d)
    r = init(disks, topo, pw)
    assert r.returncode == 0, r.stderr
    assert "region 0 written on 2 external CRD disks" in r.stdout
    s = show(disks)
    assert s.returncode == 0, s.stderr
    for word in ("lab-cluster", "server1", "server2", "SE710", "Room 2", "mu1", "mu2", "su1",
                 "admin", "administrator", "Management Cluster"):
        assert word in s.stdout, word
    assert "$argon2id$" not in s.stdout and PASSWORD not in s.stdout
    j = json.loads(show(disks, "--json").stdout)
    assert [u["name"] for u in j["units"]] == ["mu1", "mu2", "su1"]
    assert j["units"][2] == {"name": "su1", "unit_id": 17, "role": "SU", "su_type": "390",
                             "server": "server2", "api": "127.0.0.1:17317",
                             "heartbeat": "127.0.0.1:17417"}
    assert j["accounts"] == [{"name": "admin", "password_hash": "(set)",
                              "roles": ["administrator"]}]
    assert j["token_key"] == "(set)"
    assert j["management_cluster"]["servers"] == ["server1", "server2"]
    # one disk of the set is enough to read it; a disk set named in part is refused for init
    assert show(disks[:1]).returncode == 0


def test_second_init_refused_nothing_changed(d):
    disks = format_set(d, n_ext=2)
    topo, pw = files(d)
    assert init(disks, topo, pw).returncode == 0
    before = digest(disks)
    r = init(disks, topo, pw)
    assert r.returncode == 1
    assert f"'{disks[0]}' is in use: region 0 was written" in r.stderr
    assert digest(disks) == before


def test_init_after_lease_held_refused(d):
    disks = format_set(d, n_ext=1)
    log = os.path.join(d, "contender.log")
    c = Contender(d, 1, disks, log, devcount=False)
    try:
        c.start()
        wait_for(lambda: os.path.exists(log) and "B " in open(log).read(), 20,
                 "the contender to become master")
    finally:
        c.terminate()
    before = digest(disks)
    topo, pw = files(d)
    r = init(disks, topo, pw)
    assert r.returncode == 1
    assert f"'{disks[0]}' is in use: the master lease was held (term 1)" in r.stderr
    assert digest(disks) == before


def test_partial_disk_set_refused(d):
    disks = format_set(d, n_ext=2)
    topo, pw = files(d)
    before = digest(disks)
    r = init(disks[:1], topo, pw)
    assert r.returncode == 1 and "the disk set recorded on" in r.stderr
    assert digest(disks) == before


@pytest.mark.parametrize("change,message", [
    (lambda t: t["units"][2].update(unit_id=300), "units[2].unit_id: 300 is out of range 1..256"),
    (lambda t: t["units"][1].update(server="server9"),
     "units[1].server: 'server9' is not an SE Server of the cluster"),
    (lambda t: t["units"][1].update(unit_id=1), "units[1].unit_id: 1 is also the unit id of units[0]"),
    (lambda t: [u.update(role="SU", su_type="x86") for u in t["units"]], "the cluster has no MU"),
    (lambda t: t["servers"].append({"name": "server1"}),
     "servers[2].name: 'server1' is a duplicate of servers[0]"),
    (lambda t: t.update(accounts=[]), "accounts: not part of a topology file"),
])
def test_bad_topology_refused(d, change, message):
    disks = format_set(d, n_ext=1)
    t = json.loads(json.dumps(TOPOLOGY))
    change(t)
    topo, pw = files(d, topology=t)
    before = digest(disks)
    r = init(disks, topo, pw)
    assert r.returncode == 1
    assert f"topology '{topo}': " in r.stderr and message in r.stderr, r.stderr
    assert digest(disks) == before


@pytest.mark.parametrize("password,rule", [
    ("q9#", "password is shorter than 8 characters"),
    ("Tab\there-long", "password contains a control character"),
    ("Qwerty123", "password is on the list of the most common passwords"),
])
def test_weak_password_refused(d, password, rule):
    disks = format_set(d, n_ext=1)
    topo, pw = files(d, password=password)
    before = digest(disks)
    r = init(disks, topo, pw)
    assert r.returncode == 1, r.stderr
    assert f"the password of 'admin' is refused: {rule}" in r.stderr, r.stderr
    assert password not in r.stderr and password not in r.stdout
    assert digest(disks) == before


def test_password_never_in_ps_or_output(d):
    """The password file is a FIFO: init blocks reading it while ps looks at every process."""
    disks = format_set(d, n_ext=1)
    topo, _ = files(d)
    fifo = os.path.join(d, "pw.fifo")
    os.mkfifo(fifo, 0o600)
    p = subprocess.Popen([SECTL, "cluster", "init", "--crd", disks[0], "--topology", topo,
                          "--password-file", fifo], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        assert f"{p.pid} " in ps or str(p.pid) in ps
        with open(f"/proc/{p.pid}/environ", "rb") as f:
            assert PASSWORD.encode() not in f.read()
        writer = threading.Thread(target=lambda: open(fifo, "w").write(PASSWORD + "\n"))
        writer.start()
        # while the password is being read and hashed, ps again
        ps2 = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        out, err = p.communicate(timeout=60)
        writer.join(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert PASSWORD not in ps and PASSWORD not in ps2
    assert p.returncode == 0, err
    assert PASSWORD not in out and PASSWORD not in err
    s = show(disks, "--json")
    assert PASSWORD not in s.stdout and "$argon2id$" not in s.stdout


def test_init_and_a_unit_exclude_each_other(d):
    """Found by a newcomer: init checked the lease, then asked for the password, then wrote
    region 0 — a Master MU elected in between lost nothing but init still wrote. Now a unit
    of this host holds a shared lock on its disks and init an exclusive one, and init checks
    the lease again right before its write."""
    disks = format_set(d, n_ext=1)
    topo, _ = files(d)
    fifo = os.path.join(d, "pw.fifo")
    os.mkfifo(fifo, 0o600)
    p = subprocess.Popen([SECTL, "cluster", "init", "--crd", disks[0], "--topology", topo,
                          "--password-file", fifo], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    log = os.path.join(d, "contender.log")
    c = Contender(d, 1, disks, log, devcount=False)
    try:
        # init waits for its password, holding its lock: a unit cannot start meanwhile
        wait_for(lambda: any(l.split()[1:4] == ["FLOCK", "ADVISORY", "WRITE"] and
                             l.split()[4] == str(p.pid)
                             for l in open("/proc/locks").read().splitlines()),
                 20, "init to hold its lock (it then waits for its password)")
        c.start()
        assert c.proc.wait(20) == 1
        assert "locked by 'sectl cluster init'" in open(log + ".err1").read()
        with open(fifo, "w") as f:
            f.write(PASSWORD + "\n")
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        # and with a unit running, init is refused and changes nothing
        c.start()
        wait_for(lambda: os.path.exists(log) and "B " in open(log).read(), 20,
                 "the contender to become master")
        r = init(disks, *files(d))
        assert r.returncode == 1
        assert "is in use on this host" in r.stderr
    finally:
        c.terminate()
        if p.poll() is None:
            p.kill()
            p.wait()

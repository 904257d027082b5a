"""Helpers of the Live Migration tests (issue 5; docs/lm.md): a FaultLab of 2 SE Servers
with 1 MU and 1 SU each, SU Cluster SUC1 of su1 and su2, and what an operator sees — VM2000
commands through `sectl sdf`, consoles through `sectl console`, the systems overview.
Every wait has a deadline (wait_for); no fixed sleeps."""
import contextlib, json, os, re, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import guestcheck  # noqa: E402
from cluster_lab import FaultLab
from lab import SECTL, wait_for

SUS = ("su1", "su2")


def sectl(lab, *args):
    """sectl ARGS as the lab's admin (its client configuration); a CompletedProcess."""
    env = dict(os.environ, SECTL_CONFIG=os.path.join(lab.dir, "sectl.conf"))
    return subprocess.run([SECTL, *args], capture_output=True, text=True, timeout=60, env=env)


def make_lab(d, bandwidth_mib=None, netns=False, su390=False, config=(), profile="test"):
    """The lab; bandwidth_mib: [su] lm_bandwidth_mib of both SUs (a slow copy gives the
    tests time to act while it runs), config: more [su] lines; set by a restart of both SU
    daemons. su390: SUs /390 (`lab up --su-type 390`; x86 QEMU under them). profile: the
    timing profile of crd.md §8 (the tests use `test`; bench/recovery.py `lab` too)."""
    lab = FaultLab(d, servers=2, mus=1, sus=1, profile=profile, netns=netns, su_cluster=True,
                   su390=su390)
    try:
        r = sectl(lab, "login", "--password-file", os.path.join(lab.dir, "admin.password"))
        assert r.returncode == 0, r.stderr
        lines = ([f"lm_bandwidth_mib = {bandwidth_mib}"] if bandwidth_mib else []) + list(config)
        if lines:
            for su in SUS:
                set_config(lab, su, "\n".join(lines))
        wait_for(lambda: all(sdf(lab, su, "/SHOW-VM-RESOURCES")[0] == 0 for su in SUS), 30,
                 "both SUs serving")
        for su in SUS:  # RECOVER checks the SU Cluster before the VM (VMS2347)
            wait_for(lambda: "VMS2347" not in json.dumps(
                sdf(lab, su, "/RECOVER-VM-DEFINITION VM-NAME=NOVM")[1]), 30,
                     f"{su} knowing its SU Cluster")
    except BaseException:
        lab.down()
        raise
    return lab


def set_config(lab, su, line):
    """Appends line to su's [su] section (the last of its secd.conf) and restarts its secd
    (SIGTERM, then a new incarnation; guests keep running under the guard)."""
    path = os.path.join(lab.dir, "units", su, "secd.conf")
    with open(path, "a") as f:
        f.write(line + "\n")
    restart_secd(lab, su, signal.SIGTERM)


# The start of a stand-in QEMU program: it serves the -qmp socket of its command line and
# has greeted the one connection `c` (the rest is the test's: what it answers, when it ends).
STAND_IN_QMP = r"""#!/usr/bin/python3
import json, os, signal, socket, sys, time
path = next(a for a in sys.argv if a.startswith("unix:")).split(",")[0][5:]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
c, _ = srv.accept()
c.sendall(b'{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": []}}\n')
"""


def stand_in_program(path, body):
    """Writes the stand-in QEMU STAND_IN_QMP + body to path (executable); returns path."""
    with open(path, "w") as f:
        f.write(STAND_IN_QMP + body)
    os.chmod(path, 0o755)
    return path


@contextlib.contextmanager
def stand_in_qemu(lab, su, fake):
    """su's secd restarted with [su] qemu = fake (a stand-in QEMU program) for the block,
    then with its own QEMU again."""
    conf = os.path.join(lab.dir, "units", su, "secd.conf")
    saved = open(conf).read()
    assert re.search(r"^qemu = ", saved, re.M), saved
    with open(conf, "w") as f:
        f.write(re.sub(r"^qemu = .*$", f"qemu = {fake}", saved, flags=re.M))
    restart_secd(lab, su, signal.SIGTERM)
    try:
        yield
    finally:
        with open(conf, "w") as f:
            f.write(saved)
        restart_secd(lab, su, signal.SIGTERM)


def secd_pid(lab, su):
    return lab.unit(su)["pid"]


def restart_secd(lab, su, sig=signal.SIGKILL):
    """Ends su's secd with sig (unless it is gone already), waits until it is gone, starts it
    again and waits until it serves VM2000 commands."""
    pid = secd_pid(lab, su)
    if lab.unit(su)["running"]:
        os.kill(pid, sig)
    wait_for(lambda: not lab.unit(su)["running"], 20, f"{su}'s secd gone")
    # `lab start`: in the unit's network namespace (--netns) and with its fault file
    r = subprocess.run([SECTL, "lab", "start", "--dir", lab.dir, su], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: sdf(lab, su, "/SHOW-VM-RESOURCES")[0] == 0, 30, f"{su} serving again")


def sdf(lab, su, cmd):
    r = sectl(lab, "sdf", su, cmd, "--json")
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"raw": r.stdout + r.stderr, "messages": [], "rc": {}}


def ok(lab, su, cmd):
    rc, res = sdf(lab, su, cmd)
    assert rc == 0 and res.get("ok"), (cmd, res)
    return res


def console_read(lab, su, vm=None, after=None):
    """[(seq, text)] of su's monitor console, or of its guest vm; after: only lines with a
    higher sequence number. None when sectl could not read it (su not answering)."""
    args = ["console", su, "--json"] + (["--vm", vm] if vm else [])
    if after is not None:
        args += ["--after", str(after)]
    r = sectl(lab, *args)
    if r.returncode != 0:
        return None
    return [(l["seq"], l["text"]) for l in json.loads(r.stdout)["lines"]]


def console_lines(lab, su, vm=None, after=None):
    """console_read, [] when it could not be read (for polling)."""
    return console_read(lab, su, vm, after) or []


def console(lab, su, vm=None, after=None):
    return [t for _, t in console_lines(lab, su, vm, after)]


def vms(lab, su):
    """{name: state} of su's VMs from /SHOW-VM-RESOURCES."""
    res = ok(lab, su, "/SHOW-VM-RESOURCES")
    out = {}
    for line in res["messages"][2:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("(") and "MONITOR" not in parts[0]:
            out[parts[0].split(",")[1].rstrip(")")] = parts[1]
    return out


def reports(lab, su, vm):
    """[(n, ok)] of the guest's report lines on su's console of vm."""
    boots = guestcheck.parse_console("\n".join(console(lab, su, vm)) + "\n")
    return [(n, good) for b in boots for n, good, _ in b["reports"]]


def last_n(lab, su, vm):
    r = reports(lab, su, vm)
    return r[-1][0] if r else 0


def start_guest(lab, su, name, index, units="A000,A001", monjv=None):
    """Defines, activates (monitored by the MONJV monjv, if given) and starts name."""
    ok(lab, su, f"/CREATE-VM-DEFINITION VM-NAME={name},VM-INDEX={index},MEMORY-SIZE=64,"
                f"DEVICES=*PARAMETERS(UNITS=({units}))")
    ok(lab, su, f"/ACTIVATE-VM-DEFINITION VM-NAME={name}" + (f",MONJV={monjv}" if monjv else ""))
    ok(lab, su, f"/START-VM IPL-UNIT=A000,VM-ID={name}")
    wait_for(lambda: last_n(lab, su, name) >= 2, 30, f"{name} counting on {su}")


def remove_guest(lab, name):
    for su in SUS:
        sdf(lab, su, f"/DELETE-VM VM-ID={name},CHECK-VM-STATE=*NO")
        sdf(lab, su, f"/DELETE-VM-DEFINITION VM-NAME={name}")


def migrate(lab, su, vm, to=None, monjv=None):
    """/MIGRATE-VM on su; returns (answer, lm_id) — lm_id None when it was refused."""
    cmd = f"/MIGRATE-VM VM-ID={vm}" + (f",SERVER-UNIT-NAME={to}" if to else "") + \
        (f",MONJV={monjv}" if monjv else "")
    rc, res = sdf(lab, su, cmd)
    return res, (res.get("lm") or {}).get("lm_id")


def mark(lab, su):
    """The sequence number of su's last monitor console line (later lines are new). A read
    that fails is retried: 0 would make every older line look new (an earlier LM's end
    taken for this one's, found by make check under load)."""
    def read():
        lines = console_read(lab, su)
        return None if lines is None else (lines[-1][0] if lines else 0,)
    return wait_for(read, 30, f"{su}'s console read")[0]


def wait_line(lab, su, text, after=0, timeout=60):
    """The first monitor console line of su after sequence number `after` containing text."""
    def found():
        return next((l for l in console(lab, su, after=after) if text in l), None)
    return wait_for(found, timeout, f"'{text}' on {su}'s console", interval=0.1)


def wait_lm_end(lab, su, after=0, timeout=90):
    """'completed' or 'aborted': the source's VMS2451, or VMS2426 (VMS2425: the /390
    non-convergence) after `after`."""
    def end():
        for l in console(lab, su, after=after):
            if "VMS2451" in l:
                return "completed"
            if "VMS2426" in l or "VMS2425" in l:
                return "aborted"
        return None
    return wait_for(end, timeout, f"the LM's end on {su}", interval=0.1)


def guest_continues(lab, su, vm, above, count=2, timeout=30):
    """vm's console on su reports count more lines above n=above, all check=ok."""
    wait_for(lambda: last_n(lab, su, vm) >= above + count, timeout,
             f"{vm} counting past {above + count} on {su}")
    bad = [n for n, good in reports(lab, su, vm) if not good]
    assert not bad, f"{vm} on {su}: check=BAD at {bad}"


def qemu_pid(lab, su, index):
    """The pid of the QEMU su's guard runs for VM index (its child with that QMP socket)."""
    guard = lab.unit(su)["guard"]["pid"]
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            stat = open(f"/proc/{p}/stat").read()
            cmd = open(f"/proc/{p}/cmdline").read().split("\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == guard and any(f"/q/{index}.qmp" in a for a in cmd):
            return int(p)
    return None


def assert_one_owner(lab, vm, owner, extra=()):
    """vm is defined on owner only, and only owner's console of it still counts. extra:
    run events the test witnessed itself (assert_never_twice)."""
    wait_for(lambda: vm in vms(lab, owner), 20, f"{vm} on {owner}")
    other = "su2" if owner == "su1" else "su1"
    wait_for(lambda: vm not in vms(lab, other), 20, f"{vm} not on {other}")
    n = last_n(lab, owner, vm)
    guest_continues(lab, owner, vm, n)
    # the marker ring on A001 (testing.md): one writer at a time, never a rollback — two
    # running copies of the guest would interleave their records
    errs = guestcheck.check_ring(guestcheck.read_ring(os.path.join(lab.dir, "disks", "A001.img")))
    assert not errs, errs
    assert_never_twice(lab, extra)


def run_events(lab, su):
    """(CLOCK_MONOTONIC ns, su, RESUME|STOP|EXIT, vm_uuid) of su's DATA_DIR/runs.log."""
    path = os.path.join(lab.dir, "units", su, "data", "runs.log")
    out = []
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) >= 3:
                out.append((int(f[0]), su, f[1], f[2]))
    return out


def assert_never_twice(lab, extra=()):
    """testing.md "Guest running twice": the run intervals of each guest — from a RESUME
    to the next STOP or its QEMU's exit, as each SU's secd received them on one host's
    CLOCK_MONOTONIC — never overlap across the two SUs. extra: (ns, su, "EXIT", vm_uuid)
    the test saw itself — a QEMU killed with its secd has no EXIT line; the test's
    time.monotonic_ns() after /proc shows the pid gone is one (the same clock)."""
    running = {}
    for t, su, what, uuid in sorted(run_events(lab, "su1") + run_events(lab, "su2") +
                                    getattr(lab, "witnessed", []) + list(extra)):
        on = running.setdefault(uuid, set())
        if what == "RESUME":
            on.add(su)
            assert len(on) == 1, f"guest {uuid} running on {sorted(on)} at {t} ns"
        else:
            on.discard(su)


def killed_whole(lab, su, index):
    """kill -9 of su's secd, guard, fake watchdog and QEMUs (`sectl lab kill`); waits until
    the QEMU of VM index is gone. Returns (CLOCK_MONOTONIC ns of the kill, the witnessed
    exit event for assert_never_twice)."""
    pid = qemu_pid(lab, su, index)
    uuid = next((u for _, s, what, u in reversed(run_events(lab, su)) if what == "RESUME"),
                None)
    t = time.monotonic_ns()
    r = subprocess.run([SECTL, "lab", "kill", "--dir", lab.dir, su], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: pid is None or not os.path.exists(f"/proc/{pid}"), 10,
             f"{su}'s QEMU gone")
    ev = (time.monotonic_ns(), su, "EXIT", uuid)
    lab.witnessed = getattr(lab, "witnessed", []) + [ev]  # later checks of the lab see it too
    return t, ev


def vm_index(lab, su, vm):
    res = ok(lab, su, "/SHOW-VM-RESOURCES")
    for line in res["messages"]:
        if f",{vm})" in line:
            return int(line.split(",")[0].lstrip("("))
    return None


def lm_state(lab, su, lm_id):
    """The LM object of su's live migration lm_id through the MU's API (docs/api.md)."""
    st, b = lab.call("mu1", "GET", f"/api/v1/sus/{su}/migrations/{lm_id}")
    assert st == 200, b
    return b["lm"]


def migrate_killing(lab, killed, point, units="A000,A001"):
    """G1 started on su1 and migrated to su2 while `killed`'s secd has the fault rule
    "point kill count=1": waits until that secd died at the point, clears the rule and
    starts it again. Returns (m1, answer, lm_id): su1's console mark before the LM, the
    /MIGRATE-VM answer and its LM id (None when su1 died before it answered)."""
    start_guest(lab, "su1", "G1", 3, units=units)
    lab.set_faults(killed, [f"{point} kill count=1"])
    m1 = mark(lab, "su1")
    res, lm_id = migrate(lab, "su1", "G1")
    wait_for(lambda: not lab.unit(killed)["running"], 30, f"{killed}'s secd killed at {point}")
    lab.set_faults(killed, [])
    restart_secd(lab, killed)
    return m1, res, lm_id


def migrate_held_at_commit(lab, hold_ms):
    """G1 started on su1 and migrated to su2, whose commit is held back hold_ms (fault
    "lm.tgt.before_commit delay"): returns (m1, lm_id) once the source completed and waits
    for the commit."""
    start_guest(lab, "su1", "G1", 3)
    lab.set_faults("su2", [f"lm.tgt.before_commit delay {hold_ms} count=1"])
    m1 = mark(lab, "su1")
    res, lm_id = migrate(lab, "su1", "G1")
    assert lm_id, res
    wait_for(lambda: lm_state(lab, "su1", lm_id)["state"] == "switchover", 30,
             "the source completed, waiting for the commit")
    return m1, lm_id


# ---- the outage tests (issue 7: test_lab_kill.py, test_fencing.py) ----

def vm_state(lab, su, vm):
    """vm's state on su as /SHOW-VM-RESOURCES shows it ("RUNNING", "NOT INITIALIZED",
    "FENCED" ...); None when su has no such VM or does not answer."""
    rc, res = sdf(lab, su, "/SHOW-VM-RESOURCES")
    if rc != 0:
        return None
    line = next((l.split() for l in res.get("messages", [])
                 if l.startswith("(") and f",{vm})" in l), None)
    return " ".join(line[1:-1]) if line else None  # "(3,VM)  NOT INITIALIZED  64"


def slot(lab, su):
    """su's alive message as `sectl crd inspect DIR/crd/ext1 --json` shows it: counter,
    incarnation, unit_state, dead_bound_ms and the advertised timing (fence_ms,
    watchdog_ms, renew_ms, io_ms ...)."""
    r = sectl(lab, "crd", "inspect", os.path.join(lab.dir, "crd", "ext1"), "--json")
    assert r.returncode == 0, r.stderr
    uid = lab.unit(su)["unit_id"]
    return next(s for s in json.loads(r.stdout)["slots"] if s["unit"] == uid)

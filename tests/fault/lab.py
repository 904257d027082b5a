"""Helpers for the fault tier: CRD files, contender processes, log oracles.

Every process started here is ended here by its PID (testing.md), even when a test fails.
Synchronisation waits for a condition with a deadline (wait_for), never a fixed sleep.
"""
import json, os, random, signal, subprocess, time

BUILD = os.environ.get("SECLUSTER_BUILD") or os.path.join(os.path.dirname(__file__), "../../build")
SECTL = os.path.join(BUILD, "src/sectl/sectl")
CONTENDER = os.path.join(BUILD, "tests/fault/crd-contender")
CLUSTER_ID = "5ec1a5e7-0000-4000-8000-00000000c0de"

# An SU of the lab runs sec-fakewd and sec-guard before its secd (issue 4). Where src/guard is
# not built, every lab of the tests runs the stand-ins of tests/fault/standin/ (they bind the
# sockets and wait: the lab's process handling is tested, guests are not); set for every
# process this tier starts.
GUARD_BUILT = os.path.exists(os.path.join(BUILD, "src/guard/sec-guard")) and \
    os.path.exists(os.path.join(BUILD, "src/guard/sec-fakewd"))
STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standin")
if not GUARD_BUILT:
    os.environ.setdefault("SECLUSTER_GUARD", os.path.join(STANDIN, "sec-guard"))
    os.environ.setdefault("SECLUSTER_FAKEWD", os.path.join(STANDIN, "sec-fakewd"))

# test profile of crd.md §8, seconds
LEASE, CLAIM, RENEW, IO = 1.2, 0.6, 0.2, 0.3


def wait_for(cond, timeout, what, interval=0.02):
    """Polls cond() until it returns a true value or timeout seconds pass; raises with what."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def format_set(d, n_ext=1, size=None):
    """Formats an external set of n_ext disks in directory d; returns their paths."""
    paths = [os.path.join(d, f"ext{i + 1}") for i in range(n_ext)]
    subprocess.run([SECTL, "crd", "format", "--cluster-id", CLUSTER_ID, "--role", "external",
                    "--unsafe-crd-fs", *paths, *(["--size", size] if size else [])], check=True,
                   stdout=subprocess.DEVNULL)
    return paths


class Contender:
    """One crd-contender process with its own fault file."""

    def __init__(self, d, unit, disks, log, devcount=True, profile="test"):
        self.unit, self.d, self.disks, self.log = unit, d, disks, log
        self.fault_file = os.path.join(d, f"faults-{unit}")
        open(self.fault_file, "w").close()
        self.devcount, self.profile = devcount, profile
        self.proc = None
        self.stopped = False

    def start(self):
        args = [CONTENDER, "--unit-id", str(self.unit), "--log", self.log, "--profile", self.profile]
        for p in self.disks:
            args += ["--disk", p]
        if self.devcount:
            args.append("--devcount")
        env = dict(os.environ, SECLUSTER_FAULT_FILE=self.fault_file)
        self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.log + f".err{self.unit}", "a"))
        self.stopped = False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            if self.stopped:
                os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        self.stopped = False

    def stop(self):
        if self.alive() and not self.stopped:
            os.kill(self.proc.pid, signal.SIGSTOP)
            self.stopped = True

    def cont(self):
        if self.alive() and self.stopped:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.stopped = False

    def set_faults(self, lines):
        tmp = self.fault_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        os.replace(tmp, self.fault_file)

    def terminate(self):
        """Ends the process by its PID: SIGCONT, SIGTERM, then SIGKILL after 5 s."""
        if not self.alive():
            return
        if self.stopped:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.set_faults([])
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def read_log(path):
    """Parses a contender log into belief intervals and acknowledged devcount values.

    Returns (intervals, acks): intervals as (start_ns, end_ns, unit, incarnation, term) with
    end = the belief's end if logged, else the last computed expiry it logged (kill -9)."""
    iv, acks = {}, []
    if not os.path.exists(path):
        return [], []
    with open(path) as f:
        for line in f:
            p = line.split()
            if not p or (p[0] in "BE" and len(p) != 6) or (p[0] == "A" and len(p) != 4):
                continue  # a line cut by kill -9
            if p[0] == "A":
                acks.append((int(p[1]), int(p[2]), int(p[3])))
                continue
            unit, inc, term, start, t = int(p[1]), int(p[2]), int(p[3]), int(p[4]), int(p[5])
            key = (unit, inc, start)
            if p[0] == "B":
                cur = iv.get(key)
                if cur is None or not cur[1]:
                    iv[key] = [max(t, cur[0]) if cur else t, False, term]
            else:
                iv[key] = [t, True, term]
    out = [(k[2], v[0], k[0], k[1], v[2]) for k, v in iv.items()]
    return sorted(out), acks


def overlaps(intervals):
    """Pairs of belief intervals of different processes that overlap."""
    bad = []
    for i, a in enumerate(intervals):
        for b in intervals[i + 1:]:
            if (a[2], a[3]) != (b[2], b[3]) and a[0] < b[1] and b[0] < a[1]:
                bad.append((a, b))
    return bad


def read_devcount(disks):
    out = subprocess.run([CONTENDER, "--read-devcount", *sum([["--disk", p] for p in disks], [])],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


class SectlLab:
    """A lab of `sectl lab up` in directory d (issue 3 "The local lab"), for tests.

    up() runs `sectl lab up` (returns the CompletedProcess); status() is `sectl lab status
    --json` as a dict; down() is `sectl lab down`. close() ends every recorded unit by its
    PID in any case (down first, then SIGKILL of what is left): call it in a finally."""

    def __init__(self, d, *args, env=None):
        self.d, self.args, self.env = d, list(args), env

    def run(self, *args, check=False, timeout=90):
        return subprocess.run([SECTL, "lab", *args, "--dir", self.d], capture_output=True,
                              text=True, timeout=timeout, check=check,
                              env=dict(os.environ, **(self.env or {})))

    def up(self, check=True):
        r = self.run("up", *self.args)
        if check and r.returncode != 0:
            raise AssertionError(f"sectl lab up failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def status(self):
        return json.loads(self.run("status", "--json", check=True).stdout)

    def recorded(self):
        """lab.json as a dict, or None."""
        try:
            with open(os.path.join(self.d, "lab.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def master(self):
        return self.status()["master_mu"]

    def down(self):
        return self.run("down")

    def close(self):
        lab = self.recorded()
        if lab is None:
            return
        self.down()
        for u in lab["units"]:
            if u["pid"] and pid_runs_secd(u["pid"], u["config"]):
                os.kill(u["pid"], signal.SIGKILL)
            data = os.path.join(os.path.dirname(u["config"]), "data")
            wd = os.path.join(os.path.dirname(u["config"]), "fakewd.sock")
            for key, prog, arg in (("guard_pid", "sec-guard", data),
                                   ("fakewd_pid", "sec-fakewd", wd)):
                if u.get(key) and pid_runs(u[key], prog, arg):
                    os.kill(u[key], signal.SIGKILL)


def pid_runs(pid, prog, arg):
    """True when pid is a live (not zombie) process whose argv[0] basename contains prog and
    which has arg among its arguments (the lab's own check, lab_pid_runs)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return bool(argv) and prog.encode() in os.path.basename(argv[0]) and arg.encode() in argv


def pid_runs_secd(pid, config):
    """True when pid is a live (not zombie) secd process with config on its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return bool(argv) and b"secd" in os.path.basename(argv[0]) and config.encode() in argv

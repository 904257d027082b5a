"""A lab of real secd processes for the integration tests (testing.md "Lab"): the same
`sectl lab up|status|down` a newcomer runs, plus a small REST client.

Every process is ended by its PID (lab down, then a check); waits use deadlines (wait_for).
"""
import json, os, signal, subprocess, time, urllib.error, urllib.request

from lab import SECTL, BUILD, wait_for

SECD = os.path.join(BUILD, "src/secd/secd")


class Lab:
    def __init__(self, d, servers=2, mus=2, sus=0, profile="test", netns=False, faults=False,
                 sim=0, su_cluster=False):
        self.dir = os.path.join(d, "lab")
        args = [SECTL, "lab", "up", "--dir", self.dir, "--servers", str(servers),
                "--mus-per-server", str(mus), "--sus-per-server", str(sus), "--profile", profile]
        if su_cluster:  # SU Cluster SUC1 of the first two SUs (lab_suc.c)
            args.append("--su-cluster")
        if sim:  # SUs in the topology only (sim1..): a test answers their API
            args += ["--sim-units", str(sim)]
        if netns:
            args.append("--netns")
        if faults:  # each unit reads DIR/units/NAME/faults (set_faults)
            args.append("--faults")
        self.up = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.extra = []  # processes started by the test (restarts), ended by PID
        self.restarted = {}  # unit name -> Popen of its restarted secd
        assert self.up.returncode == 0, self.up.stdout + self.up.stderr
        self.password = open(os.path.join(self.dir, "admin.password")).read().strip()
        self.tokens = {}

    def status(self):
        r = subprocess.run([SECTL, "lab", "status", "--dir", self.dir, "--json"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        st = json.loads(r.stdout)
        for u in st["units"]:
            p = self.restarted.get(u["name"])
            if p:
                u["pid"], u["running"] = p.pid, p.poll() is None
        return st

    def units(self, role=None):
        return [u for u in self.status()["units"] if role is None or u["role"] == role]

    def unit(self, name):
        return next(u for u in self.status()["units"] if u["name"] == name)

    def down(self):
        for p in self.extra:
            if p.poll() is None:
                p.kill()
                p.wait()
        r = subprocess.run([SECTL, "lab", "down", "--dir", self.dir], capture_output=True,
                           text=True, timeout=120)
        for u in self.status()["units"]:
            assert not u["running"], f"{u['name']} still running after lab down"
        return r

    # ---- REST ----
    def call(self, unit, method, path, body=None, token=True, headers=None, timeout=5):
        """Returns (HTTP status, JSON body) of one call to unit's API."""
        u = self.unit(unit) if isinstance(unit, str) else unit
        h = {"Content-Type": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = "Bearer " + self.token(u["name"])
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(f"http://{u['api']}{path}", data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, {"raw": raw.decode(errors="replace")}

    def token(self, unit):
        if "t" not in self.tokens:
            st, b = self.call(unit, "POST", "/api/v1/login",
                              {"account": "admin", "password": self.password}, token=False)
            assert st == 200, b
            self.tokens["t"] = b["token"]
        return self.tokens["t"]

    def try_status(self, unit):
        try:
            st, b = self.call(unit, "GET", "/api/v1/cluster/status", timeout=2)
            return b if st == 200 else None
        except (OSError, urllib.error.URLError):
            return None

    def events(self, unit, **q):
        qs = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in q.items())
        st, b = self.call(unit, "GET", "/api/v1/events?limit=1000&" + qs)
        assert st == 200, b
        return b["events"]

    def set_faults(self, name, lines):
        """Replaces unit name's fault rules (lab up --faults; lib/fault.h syntax)."""
        path = os.path.join(self.dir, "units", name, "faults")
        with open(path + ".tmp", "w") as f:
            f.write("".join(l + "\n" for l in lines))
        os.replace(path + ".tmp", path)

    def sectl(self, *args, conf=None, timeout=60):
        """Runs sectl with this lab's client configuration (conf: another one)."""
        env = dict(os.environ, SECTL_CONFIG=conf or os.path.join(self.dir, "sectl.conf"))
        return subprocess.run([SECTL, *args], capture_output=True, text=True, timeout=timeout,
                              env=env)

    def kill(self, name, sig=signal.SIGKILL):
        os.kill(self.unit(name)["pid"], sig)

    def restart(self, name):
        """Starts unit name's secd again (a new incarnation); the test ends it by PID."""
        u = self.unit(name)
        cfg = os.path.join(self.dir, "units", name, "secd.conf")
        log = open(os.path.join(self.dir, "units", name, "secd.log"), "a")
        p = subprocess.Popen([SECD, "--role", u["role"].lower(), "--config", cfg],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        self.extra.append(p)
        self.restarted[name] = p
        return p


def master_of(lab, units=None):
    """The Master MU every answering MU reports, or None while they disagree or none is known."""
    seen = set()
    for u in units or lab.units("MU"):
        s = lab.try_status(u)
        if not s:
            return None
        seen.add(s.get("master_mu"))
    return seen.pop() if len(seen) == 1 else None


def read_master_logs(lab):
    """Belief intervals of every MU from DATA_DIR/master.log (the format of lab.read_log)."""
    from lab import read_log
    out = []
    for u in lab.units("MU"):
        out += read_log(os.path.join(lab.dir, "units", u["name"], "data", "master.log"))[0]
    return sorted(out)


# ---- faults, cuts and the CLI (tests/fault/test_cluster_faults.py) ----
import shutil  # noqa: E402

class FaultLab(Lab):
    """A Lab started with `sectl lab up --faults` (each unit's secd reads the fault file
    DIR/units/NAME/faults, fault.h) and optionally --netns. set_faults() and cut() are
    undone by undo_all(), which down() calls first, so a failing test leaves no fault."""

    def __init__(self, d, servers=2, mus=2, sus=0, profile="test", netns=False,
                 su_cluster=False, su390=False):
        self.dir = os.path.join(d, "lab")
        args = [SECTL, "lab", "up", "--dir", self.dir, "--servers", str(servers),
                "--mus-per-server", str(mus), "--sus-per-server", str(sus), "--profile", profile,
                "--faults"]
        if netns:
            args.append("--netns")
        if su_cluster:
            args.append("--su-cluster")
        if su390:
            args += ["--su-type", "390"]
        self.extra, self.restarted, self.tokens, self.cuts = [], {}, {}, []
        self.up = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert self.up.returncode == 0, self.up.stdout + self.up.stderr
        self.password = open(os.path.join(self.dir, "admin.password")).read().strip()

    def fault_file(self, name):
        return os.path.join(self.dir, "units", name, "faults")

    def set_faults(self, name, lines):
        """Replaces unit name's fault rules (atomically: the unit never reads half a rule)."""
        tmp = self.fault_file(name) + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        os.replace(tmp, self.fault_file(name))

    def restart(self, name):
        """As Lab.restart, with the unit's fault file in its environment."""
        old = os.environ.get("SECLUSTER_FAULT_FILE")
        os.environ["SECLUSTER_FAULT_FILE"] = self.fault_file(name)
        try:
            return super().restart(name)
        finally:
            if old is None:
                del os.environ["SECLUSTER_FAULT_FILE"]
            else:
                os.environ["SECLUSTER_FAULT_FILE"] = old

    def cut(self, server):
        """Drops every packet that server's units send (nft on its veth, README "--netns"):
        with the replies gone, all their traffic is cut."""
        with open(os.path.join(self.dir, "lab.json")) as f:
            ns = json.load(f)["netns"]
        veth = next(n["veth"] for n in ns["namespaces"] if n["server"] == server)
        table = f"slflt{ns['tag']}{server[-1]}"
        subprocess.run([NFT, "add", "table", "netdev", table], check=True)
        self.cuts.append(table)
        subprocess.run([NFT, "add", "chain", "netdev", table, "in",
                        f"{{ type filter hook ingress device {veth} priority 0; policy drop; }}"],
                       check=True)
        return table

    def uncut(self, table):
        subprocess.run([NFT, "delete", "table", "netdev", table], check=True)
        self.cuts.remove(table)

    def undo_all(self):
        for table in list(self.cuts):
            self.uncut(table)
        for name in os.listdir(os.path.join(self.dir, "units")):
            if os.path.exists(self.fault_file(name)):
                self.set_faults(name, [])

    def down(self):
        try:
            self.undo_all()
        finally:
            r = super().down()
        return r

    def sectl(self, *args):
        """`sectl ARGS --json` against this lab as a person runs it (SECTL_CONFIG, a login
        first); returns the parsed JSON."""
        env = dict(os.environ, SECTL_CONFIG=os.path.join(self.dir, "sectl.conf"))
        if not os.path.exists(os.path.join(self.dir, "sectl.token")):
            subprocess.run([SECTL, "login", "--password-file",
                            os.path.join(self.dir, "admin.password")], env=env, check=True,
                           capture_output=True, timeout=30)
        r = subprocess.run([SECTL, *args, "--json"], env=env, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"
IP, NFT = (shutil.which(c, path=SBIN) for c in ("ip", "nft"))


def have_netns():
    return os.geteuid() == 0 and bool(IP) and bool(NFT)


def wait_seen(fn, timeout, what, interval=0.1):
    """Polls fn() -> (done, seen) until done; on timeout raises with what and the last seen."""
    deadline = time.monotonic() + timeout
    while True:
        done, seen = fn()
        if done:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last seen: "
                                 f"{seen}")
        time.sleep(interval)


def row(snapshot, name):
    """Unit name's row of a status snapshot."""
    return next(u for u in snapshot["units"] if u["name"] == name)


def count_msg(lab, unit, msg, origin=None):
    """How many events with exactly this message (and origin unit) unit's API shows."""
    return sum(1 for e in lab.events(unit, text=msg)
               if e["message"] == msg and (origin is None or e["unit"] == origin))

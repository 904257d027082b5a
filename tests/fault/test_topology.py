"""Topology changes of a running cluster through the Master MU (issue 3 "The daemon secd",
topology bullet, and the test "a third SE Server added to the running cluster: no status
worse than WARNING meanwhile, and a server with conflicting global data is refused with the
conflict list"; seed 2.1).

One lab per test (`sectl lab up --profile test`), ended by PID (lab down) even on failure.
Waits are conditions with deadlines (wait_for), never fixed sleeps."""
import json, os, signal, subprocess, threading

import pytest

from cluster_lab import SECD, master_of
from lab import SECTL, wait_for

T = 30  # generous deadline, s (machines are shared and noisy)




def sectl(lb, *args, check=True):
    env = dict(os.environ, SECTL_CONFIG=os.path.join(lb.dir, "sectl.conf"))
    r = subprocess.run([SECTL, *args], capture_output=True, text=True, timeout=60, env=env)
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def login(lb):
    sectl(lb, "login", "--password-file", os.path.join(lb.dir, "admin.password"))


def all_normal(lb, mus, units=None):
    """Every MU in mus reports NORMAL, one master, every unit (of units, default all) ON and
    NORMAL; returns the master."""
    for u in mus:
        s = lb.try_status(u)
        if not s or s["status"] != "NORMAL" or s["master_mu"] is None:
            return None
        names = {x["name"] for x in s["units"]}
        if units and not set(units) <= names:
            return None
        if any(x["network_heartbeat"] != "NORMAL" or x["power_status"] != "ON"
               or x["status"] != "NORMAL" for x in s["units"]):
            return None
    return master_of(lb, mus)


def messages(lb, unit, kind="events", **q):
    path = "/api/v1/events" if kind == "events" else "/api/v1/audit"
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    st, b = lb.call(unit, "GET", f"{path}?limit=1000&{qs}")
    assert st == 200, b
    return [e["message"] for e in b["events" if kind == "events" else "entries"]]


class StatusPoller(threading.Thread):
    """Asks every given MU for /api/v1/cluster/status over and over; keeps every answer's
    status and every failure to answer."""

    def __init__(self, lb, mus):
        super().__init__(daemon=True)
        self.lb, self.mus = lb, [dict(u) for u in mus]
        self.seen, self.errors = [], []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for u in self.mus:
                try:
                    st, b = self.lb.call(u, "GET", "/api/v1/cluster/status", timeout=5)
                except OSError as e:
                    self.errors.append((u["name"], repr(e)))
                    continue
                if st != 200:
                    self.errors.append((u["name"], st, b))
                else:
                    self.seen.append((u["name"], b["status"], b["version"]))


def test_third_server_added_without_downtime(lab):
    lb = lab(servers=2, mus=2)
    mus = lb.units("MU")
    wait_for(lambda: all_normal(lb, mus), T, "NORMAL with a master")
    lb.token(mus[0])  # the poller's token, fetched once here
    poller = StatusPoller(lb, mus)
    poller.start()
    try:
        r = subprocess.run([SECTL, "lab", "add-server", "--dir", lb.dir, "--mus", "2", "--sus", "1"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "SE Server 'server3' added to the cluster" in r.stdout, r.stdout
        new = [u for u in lb.status()["units"] if u["server"] == "server3"]
        assert sorted(u["name"] for u in new) == ["mu5", "mu6", "su1"], new
        assert all(u["running"] for u in new)
        everyone = lb.units("MU")
        names = [u["name"] for u in lb.units()]
        wait_for(lambda: all_normal(lb, everyone, names), T,
                 "NORMAL on every MU with the new units ON and NORMAL")
    finally:
        poller.stop.set()
        poller.join(10)
    assert len(poller.seen) >= 2 * len(mus), poller.seen
    assert poller.errors == [], poller.errors[:5]
    worse = [s for s in poller.seen if s[1] not in ("NORMAL", "WARNING")]
    assert worse == [], worse[:5]
    # the new units in `sectl units`, and the new MUs in the client configuration
    login(lb)
    units = json.loads(sectl(lb, "units", "--json").stdout)["units"]
    assert {"mu5", "mu6", "su1"} <= {u["name"] for u in units}
    for u in units:
        assert u["power_status"] == "ON" and u["status"] == "NORMAL", u
    conf = open(os.path.join(lb.dir, "sectl.conf")).read()
    assert all(u["api"] in conf for u in new if u["role"] == "MU")
    # the events and audit entries on every MU (the new ones caught up by replication)
    want_ev = ["SE Server 'server3' added to the cluster", "Unit 'mu5' added to the cluster",
               "Unit 'mu6' added to the cluster", "Unit 'su1' added to the cluster"]

    def everywhere():
        for u in everyone:
            ev = messages(lb, u, component="Cluster")
            if any(ev.count(m) != 1 for m in want_ev):
                return False
            au = messages(lb, u, "audit", type="OK")
            if "Action=AddServer; Server=server3; Units=mu5,mu6,su1 --> OK" not in au:
                return False
        return True
    wait_for(everywhere, T, "the events and the audit entry of the change on every MU")
    au = messages(lb, everyone[0], "audit", type="Start")
    assert "Action=AddServer; Server=server3; Units=mu5,mu6,su1" in au


def other_cluster(d, password):
    """A second tiny cluster on its own CRD (the joining server's own global data): its admin
    has another password, one unit is named like a unit of the lab, one is new."""
    os.makedirs(d)
    ext = os.path.join(d, "ext1")
    subprocess.run([SECTL, "crd", "format", "--cluster-id", "11111111-0000-4000-8000-000000000001",
                    "--role", "external", "--unsafe-crd-fs", ext], check=True,
                   stdout=subprocess.DEVNULL)
    topo = {"name": "other", "servers": [{"name": "server3", "model": "SE310"}],
            "units": [{"name": "mu1", "unit_id": 9, "role": "MU", "server": "server3",
                       "api": "127.0.0.1:9", "heartbeat": "127.0.0.1:19"},
                      {"name": "mu7", "unit_id": 10, "role": "MU", "server": "server3",
                       "api": "127.0.0.1:10", "heartbeat": "127.0.0.1:20"}]}
    with open(os.path.join(d, "topo.json"), "w") as f:
        json.dump(topo, f)
    with open(os.path.join(d, "pw"), "w") as f:
        f.write(password + "\n")
    subprocess.run([SECTL, "cluster", "init", "--crd", ext, "--topology", os.path.join(d, "topo.json"),
                    "--password-file", os.path.join(d, "pw")], check=True, stdout=subprocess.DEVNULL)
    return ext


def test_conflicting_server_refused_with_the_list(lab, tmp_path):
    lb = lab(servers=2, mus=1)
    mus = lb.units("MU")
    master = wait_for(lambda: all_normal(lb, mus), T, "NORMAL with a master")
    ext = other_cluster(str(tmp_path / "other"), "another-password-7")
    login(lb)
    before = json.loads(sectl(lb, "units", "--json").stdout)["units"]
    gen = {u["name"]: lb.try_status(u)["global_generation"] for u in mus}
    # through the master and through the other MU (forwarded): one sectl.conf per MU
    for mu in sorted(mus, key=lambda u: u["name"] != master):
        conf = str(tmp_path / f"sectl-{mu['name']}.conf")
        with open(conf, "w") as f:
            f.write(f"[sectl]\napi = {mu['api']}\ntoken_file = {lb.dir}/sectl.token\n")
        r = sectl(lb, "server", "add", "server3", "--crd", ext, "--config", conf, check=False)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "HTTP 409 conflict" in r.stderr, r.stderr
        lines = r.stderr.splitlines()
        assert "  - account 'admin': different password" in lines, r.stderr
        assert "  - unit 'mu1': name in use by a unit of the cluster" in lines, r.stderr
        assert len([l for l in lines if l.startswith("  - ")]) == 2, r.stderr  # mu7 is new
        assert "argon2" not in r.stderr
    # nothing changed: the units, the global data's generation, no event of an addition
    after = json.loads(sectl(lb, "units", "--json").stdout)["units"]
    assert [u["name"] for u in after] == [u["name"] for u in before]
    for u in mus:
        assert lb.try_status(u)["global_generation"] == gen[u["name"]]
        assert not [m for m in messages(lb, u, component="Cluster") if "added to the cluster" in m]
    failed = "Action=AddServer; Server=server3; GlobalData=other --> SE Server 'server3': " \
             "its global data has 2 conflicts with the cluster's"

    def audited():
        return all(sum(a.startswith(failed) for a in messages(lb, u, "audit", type="Failed")) == 2
                   for u in mus)
    wait_for(audited, T, "both refusals audited (on the master) and replicated to every MU")


def test_unit_remove_refused_while_running_accepted_after_sigterm(lab):
    lb = lab(servers=1, mus=2, sus=1)
    mus = lb.units("MU")
    master = wait_for(lambda: all_normal(lb, mus), T, "NORMAL with a master")
    other = next(u for u in mus if u["name"] != master)
    # refused while su1 runs, through the MU that is not the master (forwarded)
    st, b = lb.call(other, "DELETE", "/api/v1/units/su1")
    assert st == 409, b
    assert b["error"]["code"] == "conflict"
    assert b["error"]["details"] == [{"object": "unit", "name": "su1",
                                      "conflict": "running: stop it first"}], b
    assert "is running" in b["error"]["message"]
    # the Master MU does not remove itself; an unknown unit is 404
    st, b = lb.call(other, "DELETE", f"/api/v1/units/{master}")
    assert st == 409 and "cannot remove itself" in b["error"]["message"], b
    st, b = lb.call(other, "DELETE", "/api/v1/units/nosuch")
    assert st == 404 and b["error"]["code"] == "not_found", b
    # a call forwarded to an MU that is not the master is not forwarded again
    st, b = lb.call(other, "DELETE", "/api/v1/units/su1", headers={"X-Sec-Forwarded": "mu9"})
    assert st == 503 and b["error"]["code"] == "no_master", b
    assert "forwarded the call here" in b["error"]["message"], b
    # stopped with SIGTERM: its alive message says LEFT, the removal is accepted
    lb.kill("su1", signal.SIGTERM)
    wait_for(lambda: not lb.unit("su1")["running"], T, "su1 stopped")
    login(lb)

    def removed():
        r = sectl(lb, "unit", "remove", "su1", check=False)
        return r if r.returncode == 0 else None
    r = wait_for(removed, T, "'sectl unit remove su1' accepted", interval=0.3)
    assert "Unit 'su1' removed from the cluster" in r.stdout, r.stdout
    # gone everywhere, evented and audited
    wait_for(lambda: all(s and "su1" not in {u["name"] for u in s["units"]}
                         for s in (lb.try_status(u) for u in mus)), T, "su1 gone on every MU")
    for u in mus:
        wait_for(lambda: "Unit 'su1' removed from the cluster" in messages(lb, u, component="Cluster"),
                 T, f"the event on {u['name']}")
    au = messages(lb, mus[0], "audit")
    assert "Action=RemoveUnit; Unit=su1 --> OK" in au
    assert any(a.startswith("Action=RemoveUnit; Unit=su1 --> unit 'su1' is running") for a in au)
    # a server with units is refused; the last MU cannot go
    st, b = lb.call(other, "DELETE", "/api/v1/servers/server1")
    assert st == 409 and len(b["error"]["details"]) == 2, b


def test_topology_routes_in_the_route_table():
    """test_cluster.py's test_every_route_refuses_unauthenticated calls every route of
    `secd --routes` without a token: the topology routes are in that table."""
    out = subprocess.run([SECD, "--routes"], capture_output=True, text=True, check=True).stdout
    routes = {tuple(l.split()) for l in out.splitlines()}
    for r in [("POST", "/api/v1/servers", "person"), ("DELETE", "/api/v1/servers/{name}", "person"),
              ("POST", "/api/v1/units", "person"), ("DELETE", "/api/v1/units/{name}", "person")]:
        assert r in routes, out

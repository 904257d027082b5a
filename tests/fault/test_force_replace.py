"""force-master and the online crd replace on a running lab (issue 3; crd.md §1, §5).

(a) the two-site split: server1's units reach only ext1, server2's only ext2 (fault files of
    `sectl lab up --faults`); the master keeps the lease, nobody else believes; server1 goes
    down: no master can be elected while split; `sectl cluster force-master` on a server2
    MU makes it master (audited, evented); when the disks rejoin, the rejoin is checked for
    lost region-0 data. Belief intervals (master.log) never overlap.
(b) force-master is refused while the lease is live (and without --i-understand).
(c) `sectl crd replace ext2 DIR/crd/ext3` through a non-master MU: no step-down, every unit
    moves to the new set (its slot renews on ext3), ext2 is RETIRED, and a unit that reads
    only the old disk stops using it.

One lab per test, ended by PID (lab down) even on failure; waits have deadlines."""
import json, os, re

import pytest

from cluster_lab import master_of, read_master_logs
from lab import SECTL, overlaps, wait_for

T = 30  # generous deadline, s




def login(lb):
    r = lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
    assert r.returncode == 0, r.stderr


def normal_master(lb, mus):
    for u in mus:
        s = lb.try_status(u)
        if not s or s["status"] != "NORMAL" or s["master_mu"] is None:
            return None
    return master_of(lb, mus)


def inspect(lb, disk):
    r = lb.sectl("crd", "inspect", "--json", os.path.join(lb.dir, "crd", disk))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def slot_counters(lb, disk):
    """{unit id: counter} of the used slots of a CRD disk."""
    return {s["unit"]: s["counter"] for s in inspect(lb, disk)["slots"]
            if s.get("state") == "ok"}


def events_on(lb, unit, text):
    return [e for e in lb.events(unit, text=text)]


def beliefs_of(lb, name):
    uid = lb.unit(name)["unit_id"]
    return [iv for iv in read_master_logs(lb) if iv[2] == uid]


def master_log_lines(lb, name):
    path = os.path.join(lb.dir, "units", name, "data", "master.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.split() for l in f if l.strip()]


def test_two_site_split_force_master(lab):
    lb = lab(servers=2, mus=2, faults=True)
    login(lb)
    mus = lb.units("MU")
    old = wait_for(lambda: normal_master(lb, mus), T, "NORMAL with a Master MU")
    old_server = lb.unit(old)["server"]
    site_a = [u["name"] for u in mus if u["server"] == old_server]
    site_b = [u["name"] for u in mus if u["server"] != old_server]
    disk_a = "ext1" if old_server == "server1" else "ext2"
    disk_b = "ext2" if disk_a == "ext1" else "ext1"
    # the split: each site reaches only its own external disk
    for n in site_a:
        lb.set_faults(n, [f"crd.*:*/crd/{disk_b} fail"])
    for n in site_b:
        lb.set_faults(n, [f"crd.*:*/crd/{disk_a} fail"])
    wait_for(lambda: all(events_on(lb, n, f"CRD disk '{disk_a}' of unit '{n}' changed from "
                                   "'NORMAL' to 'NOT_ACCESSIBLE'") for n in site_b),
             T, "site B's MUs losing their path to site A's disk")
    # the master keeps the lease on its own disk: no second master on site B
    base = slot_counters(lb, disk_b)
    ids_b = [lb.unit(n)["unit_id"] for n in site_b]
    wait_for(lambda: all(slot_counters(lb, disk_b)[i] >= base[i] + 15 for i in ids_b), T,
             "site B renewing for 3 s on its disk")
    assert master_of(lb, mus) == old
    for n in site_b:
        assert master_log_lines(lb, n) == [], f"{n} believed it was master during the split"
    # site A goes down: no master can be elected while split
    for n in site_a:
        lb.kill(n)
    wait_for(lambda: all((lb.try_status(lb.unit(n)) or {}).get("stale") for n in site_b), T,
             "site B seeing no Master MU")
    base = slot_counters(lb, disk_b)
    wait_for(lambda: all(slot_counters(lb, disk_b)[i] >= base[i] + 15 for i in ids_b), T,
             "3 s more without a master")
    for n in site_b:
        assert master_log_lines(lb, n) == [], f"{n} became master without force-master"
    # force-master on one MU of site B
    chosen = site_b[-1]
    r = lb.sectl("cluster", "force-master", "--i-understand", "--unit", chosen)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Master MU forced on '{chosen}'" in r.stdout
    assert f"the lease is held on '{disk_b}'" in r.stdout
    wait_for(lambda: master_of(lb, [lb.unit(n) for n in site_b]) == chosen, T,
             f"{chosen} reported as Master MU by site B")
    # audited (Start, OK) and evented on every surviving MU
    st, au = lb.call(chosen, "GET", "/api/v1/audit?text=ForceMaster&limit=100")
    assert st == 200, au
    types = [(e["type"], e["unit"]) for e in au["entries"] if e["message"].startswith(
        f"Action=ForceMaster; Unit={chosen}")]
    assert ("Start", chosen) in types and ("OK", chosen) in types, au
    msg = f"Master MU forced on '{chosen}' by 'admin'"
    wait_for(lambda: all(any(e["weight"] == "WARNING" for e in events_on(lb, n, msg))
                         for n in site_b), T, f"'{msg}' on every surviving MU")
    # the disks rejoin: the forced master keeps the lease, the rejoin is checked
    for n in site_b:
        lb.set_faults(n, [])
    wait_for(lambda: events_on(lb, chosen, f"CRD disk '{disk_a}' rejoined after force-master"),
             T, "the rejoin check of the forced master")
    wait_for(lambda: (inspect(lb, disk_a)["lease"].get("holder") ==
                      lb.unit(chosen)["unit_id"]), T, f"{disk_a} holding the forced lease")
    assert master_of(lb, [lb.unit(n) for n in site_b]) == chosen
    # never two masters
    ivs = read_master_logs(lb)
    assert ivs, "no belief interval logged"
    assert overlaps(ivs) == [], overlaps(ivs)
    assert {iv[2] for iv in ivs} == {lb.unit(old)["unit_id"], lb.unit(chosen)["unit_id"]}


def test_force_master_refused_while_lease_live(lab):
    lb = lab(servers=2, mus=1)
    login(lb)
    mus = lb.units("MU")
    master = wait_for(lambda: normal_master(lb, mus), T, "NORMAL with a Master MU")
    other = next(u["name"] for u in mus if u["name"] != master)
    r = lb.sectl("cluster", "force-master", "--unit", other)
    assert r.returncode == 2
    assert "--i-understand" in r.stderr and "TWO Master MUs" in r.stderr
    r = lb.sectl("cluster", "force-master", "--i-understand", "--unit", other)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"the master lease on CRD disk 'ext[12]' is live", r.stderr), r.stderr
    assert f"holder unit {lb.unit(master)['unit_id']} '{master}'" in r.stderr
    assert "(HTTP 409 conflict)" in r.stderr
    r = lb.sectl("cluster", "force-master", "--i-understand", "--unit", master)
    assert r.returncode == 1 and "Master MU already" in r.stderr, r.stderr
    r = lb.sectl("cluster", "force-master", "--i-understand", "--unit", "mu9")
    assert r.returncode == 1 and "no MU named 'mu9'" in r.stderr, r.stderr
    assert master_of(lb, mus) == master
    assert master_log_lines(lb, other) == []
    st, au = lb.call(other, "GET", "/api/v1/audit?text=ForceMaster&limit=100")
    failed = [e for e in au["entries"] if e["type"] == "Failed" and e["unit"] == other]
    assert failed and "is live" in failed[0]["message"], au
    assert not events_on(lb, other, "Master MU forced")


def test_online_replace(lab):
    lb = lab(servers=2, mus=2, faults=True)
    login(lb)
    mus = lb.units("MU")
    master = wait_for(lambda: normal_master(lb, mus), T, "NORMAL with a Master MU")
    others = [u["name"] for u in mus if u["name"] != master]
    only_old, via = others[0], others[1]
    # only_old reaches ext2 (the disk to replace) and nothing else
    lb.set_faults(only_old, ["crd.*:*/crd/ext1 fail", "crd.*:*/crd/ext3 fail"])
    wait_for(lambda: events_on(lb, only_old, f"CRD disk 'ext1' of unit '{only_old}' changed "
                               "from 'NORMAL' to 'NOT_ACCESSIBLE'"), T, f"{only_old} losing ext1")
    # through a non-master MU: the request is forwarded to the master
    conf = os.path.join(lb.dir, "via.conf")
    with open(conf, "w") as f:
        f.write(f"[sectl]\napi = {lb.unit(via)['api']}\ntoken_file = sectl.token\n")
    new = os.path.join(lb.dir, "crd", "ext3")
    r = lb.sectl("crd", "replace", "ext2", new, conf=conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"replaced 'ext2' by '{new}' (disk set generation 2); 'ext2' marked RETIRED" in r.stdout
    # every unit moves to the new set
    for u in mus:
        msg = f"Unit '{u['name']}' uses CRD disk 'ext3' in place of 'ext2' (disk set generation 2)"
        wait_for(lambda: events_on(lb, master, msg), T, msg)
    assert inspect(lb, "ext3")["superblock"]["disk_set"]["generation"] == 2
    assert inspect(lb, "ext1")["superblock"]["disk_set"]["generation"] == 2
    base = slot_counters(lb, "ext3")
    renewing = [lb.unit(n["name"])["unit_id"] for n in mus if n["name"] != only_old]
    wait_for(lambda: all(slot_counters(lb, "ext3")[i] >= base[i] + 10 for i in renewing), T,
             "every unit renewing its slot on ext3")
    # the unit that reads only the old disk stopped using it: its slot is frozen everywhere
    oid = lb.unit(only_old)["unit_id"]
    assert events_on(lb, master, f"Unit '{only_old}' stopped using CRD disk 'ext2'")
    frozen2, frozen3 = slot_counters(lb, "ext2")[oid], slot_counters(lb, "ext3")[oid]
    base = slot_counters(lb, "ext3")
    wait_for(lambda: all(slot_counters(lb, "ext3")[i] >= base[i] + 10 for i in renewing), T,
             "2 s more of renewals")
    assert slot_counters(lb, "ext2")[oid] == frozen2
    assert slot_counters(lb, "ext3")[oid] == frozen3
    wait_for(lambda: next((x["crd_disks"] for x in (lb.try_status(lb.unit(master)) or {})
                           .get("units", []) if x["name"] == only_old), None) == "ERROR",
             T, f"{only_old}'s CRD disks ERROR")
    assert inspect(lb, "ext2")["superblock"]["retired"] is True
    # no step-down: the master's one belief continues; nobody else believed
    lines = master_log_lines(lb, master)
    assert lines and all(l[0] == "B" for l in lines), lines
    assert len({(l[2], l[4]) for l in lines}) == 1, "more than one belief interval"
    for n in others:
        assert master_log_lines(lb, n) == []
    assert master_of(lb, [lb.unit(n) for n in [master, via]]) == master
    # audited on the master, evented
    st, au = lb.call(master, "GET", "/api/v1/audit?text=ReplaceCrdDisk&limit=100")
    types = {e["type"] for e in au["entries"] if e["unit"] == master}
    assert {"Start", "OK"} <= types, au
    assert events_on(lb, master, f"CRD disk 'ext2' replaced by '{new}' (disk set generation "
                     "2) by 'admin'")

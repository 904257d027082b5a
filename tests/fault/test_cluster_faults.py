"""Faults of the Management Cluster on real secd processes (issue 3 "Tests"; status.md §1,
§2, §5; crd.md §5, §7): a hung external disk under the Master MU, external disks unreadable
for one MU, one SE Server cut off the network while its alive messages continue, kill -9 and
SIGTERM of an MU, an SU in the lab.

One lab per test (`sectl lab up --profile test --faults`), ended by PID (lab down) even on
failure; every fault (fault file, nft table) is undone before the lab goes down. Disk faults
go through the fault seam (src/lib/fault.h): the file DIR/units/NAME/faults of that unit."""
import os, signal, time

import pytest

from cluster_lab import (FaultLab, count_msg, have_netns, master_of, read_master_logs, row,
                         wait_seen)
from lab import CLAIM, LEASE, RENEW, overlaps, wait_for

T = 30  # generous deadline, s (machines are shared and noisy)
TAKEOVER = LEASE + CLAIM + 2 * RENEW  # crd.md §8, test profile


@pytest.fixture
def lab(tmp_path):
    labs = []

    def make(**kw):
        lb = FaultLab(str(tmp_path), **kw)
        labs.append(lb)
        return lb
    yield make
    for lb in labs:
        lb.down()


def normal(lab, units=None):
    """(True, master) once every MU reports one master and every unit ON, NORMAL."""
    seen = {}
    for u in lab.units("MU"):
        s = lab.try_status(u)
        seen[u["name"]] = s and (s["status"], s["master_mu"],
                                 [(x["name"], x["power_status"], x["network_heartbeat"],
                                   x["crd_disks"]) for x in s["units"]])
        if not s or s["status"] != "NORMAL" or s["master_mu"] is None or any(
                x["power_status"] != "ON" or x["network_heartbeat"] != "NORMAL" or
                x["crd_disks"] != "NORMAL" for x in s["units"]):
            return False, seen
    m = master_of(lab)
    return m is not None, m or seen


def status_of(lab, unit, pred, what):
    """Waits until unit's snapshot satisfies pred; returns it (the last one seen on timeout)."""
    def probe():
        s = lab.try_status(unit)
        return bool(s and pred(s)), s
    return wait_seen(probe, T, what)


def on_every(lab, names, msg, origin=None, n=1):
    """Waits until every MU in names shows msg (from origin) at least once, then checks that
    none shows it more than n times."""
    wait_seen(lambda: (all(count_msg(lab, u, msg, origin) >= n for u in names),
                       {u: count_msg(lab, u, msg, origin) for u in names}), T,
              f"'{msg}' on {names}")
    for u in names:
        assert count_msg(lab, u, msg, origin) == n, (u, msg)


def test_hung_disk_master_keeps_lease(lab):
    """One external disk hangs forever for the Master MU: it keeps its lease (N = 2: keep
    while renewing on at least one), no step-down; the disk shows NOT_ACCESSIBLE, the
    Management Cluster WARNING; the disk comes back: NORMAL again."""
    lb = lab(servers=2, mus=2)
    mus = [u["name"] for u in lb.units("MU")]
    m = wait_seen(lambda: normal(lb), T, "NORMAL with a master")
    lb.set_faults(m, ["crd.*:*ext1 hang"])
    ev = f"CRD disk 'ext1' of unit '{m}' changed from 'NORMAL' to 'NOT_ACCESSIBLE'"
    s = status_of(lb, m, lambda s: s["master_mu"] == m and s["status"] == "WARNING" and
                  s["master_crd"] == "WARNING" and
                  {"name": "ext1", "status": "NOT_ACCESSIBLE"} in row(s, m)["disks"],
                  "the master's ext1 NOT_ACCESSIBLE, the cluster WARNING")
    assert row(s, m)["crd_disks"] == "WARNING"
    assert {"name": "ext2", "status": "NORMAL"} in row(s, m)["disks"]
    on_every(lb, mus, ev, origin=m)
    # observe past several takeover times: the master never changes, its belief never ends
    end = time.monotonic() + 2 * TAKEOVER
    while time.monotonic() < end:
        assert master_of(lb) in (m, None), "the master changed while one disk hung for it"
        time.sleep(0.2)
    assert master_of(lb) == m
    iv = read_master_logs(lb)
    assert {(i[2], i[3], i[0]) for i in iv} == {(iv[0][2], iv[0][3], iv[0][0])}, \
        f"more than one belief interval: {iv}"
    assert iv[0][1] > time.monotonic_ns(), "the master's lease is still valid"
    for u in mus:
        assert not [e for e in lb.events(u, text="Master MU changed")], u
    # the disk answers again: resynced, NORMAL, still the same master
    lb.set_faults(m, [])
    assert wait_seen(lambda: normal(lb), T, "NORMAL after the disk came back") == m
    on_every(lb, mus, f"CRD disk 'ext1' of unit '{m}' changed from 'STALE' to 'NORMAL'", m)


def test_disks_unreadable_for_one_mu(lab):
    """External disks unreadable for one MU (fault seam): one disk — its CRD disks WARNING
    (one event, no flapping while its slot writes succeed), the cluster WARNING; both — its
    CRD disks ERROR, and it neither becomes master nor stays master."""
    lb = lab(servers=2, mus=2)
    mus = [u["name"] for u in lb.units("MU")]
    m = wait_seen(lambda: normal(lb), T, "NORMAL with a master")
    x = next(u for u in mus if u != m)
    lb.set_faults(x, ["crd.read:*ext1 fail 5"])
    s = status_of(lb, m, lambda s: row(s, x)["crd_disks"] == "WARNING" and
                  s["status"] == "WARNING", f"{x}'s CRD disks WARNING, the cluster WARNING")
    assert row(s, x)["status"] == "WARNING" and row(s, x)["power_status"] == "ON"
    assert s["master_mu"] == m

    lb.set_faults(x, ["crd.read:*ext1 fail 5", "crd.read:*ext2 fail 5"])
    s = status_of(lb, m, lambda s: row(s, x)["crd_disks"] == "ERROR",
                  f"{x}'s CRD disks ERROR")
    assert row(s, x)["status"] == "ERROR" and s["status"] == "WARNING"
    assert s["master_mu"] == m

    # the master too: it cannot renew (a renewal reads first) and steps down; the MU
    # whose disks are unreadable cannot claim; one of the other two takes over
    lb.set_faults(m, ["crd.read:*ext1 fail 5", "crd.read:*ext2 fail 5"])
    others = [u for u in lb.units("MU") if u["name"] != m]
    new = wait_seen(lambda: ((n := master_of(lb, others)) not in (None, m, x), n), T,
                    f"a master other than {m} and {x}")
    s = status_of(lb, new, lambda s: row(s, m)["crd_disks"] == "ERROR" and
                  row(s, x)["crd_disks"] == "ERROR", f"{m} and {x} CRD disks ERROR on {new}")
    assert s["status"] == "WARNING"
    iv = read_master_logs(lb)
    units = {u["unit_id"]: u["name"] for u in lb.units("MU")}
    assert not [i for i in iv if units[i[2]] == x], f"{x} believed it was master: {iv}"
    now = time.monotonic_ns()
    assert all(i[1] <= now for i in iv if units[i[2]] == m), f"{m} still believes: {iv}"
    assert overlaps(iv) == []
    # one event per disk, however many slot writes succeeded meanwhile (no flapping)
    crd = [e["message"] for e in lb.events(new, component="CRD") if e["unit"] == x]
    assert sorted(crd) == [
        f"CRD disk 'ext1' of unit '{x}' changed from 'NORMAL' to 'NOT_ACCESSIBLE'",
        f"CRD disk 'ext2' of unit '{x}' changed from 'NORMAL' to 'NOT_ACCESSIBLE'"], crd
    # the disks answer again: NORMAL everywhere
    lb.set_faults(x, [])
    lb.set_faults(m, [])
    wait_seen(lambda: normal(lb), T, "NORMAL after the disks came back")


@pytest.mark.skipif(not have_netns(), reason="--netns needs root, ip (iproute2) and nft")
def test_server_cut_off_is_isl_e_error_not_off(lab):
    """All network traffic of one SE Server's units dropped while their alive messages
    continue on the CRD: ISL-E ERROR (status.md §2: the link is down, the server is not),
    its units NOT_ACCESSIBLE but never OFF; the link back: NORMAL."""
    lb = lab(servers=2, mus=2, netns=True)
    m = wait_seen(lambda: normal(lb), T, "NORMAL with a master")
    master_server = lb.unit(m)["server"]
    cut = next(u["server"] for u in lb.units("MU") if u["server"] != master_server)
    cut_units = [u["name"] for u in lb.units() if u["server"] == cut]
    table = lb.cut(cut)

    def isl_e_error():
        s = lb.try_status(m)
        if not s:
            return False, s
        for n in cut_units:  # at no moment OFF
            assert row(s, n)["power_status"] != "OFF", (n, s)
        return (s["isl_e"] == "ERROR" and
                all(row(s, n)["network_heartbeat"] == "NOT_ACCESSIBLE" for n in cut_units)), s
    s = wait_seen(isl_e_error, T, f"ISL-E ERROR with {cut} cut off")
    for n in cut_units:
        assert row(s, n)["power_status"] == "ON", row(s, n)  # its alive message is fresh
        assert row(s, n)["alive_age_ms"] is not None and row(s, n)["alive_age_ms"] < 3000
    assert s["management_cluster"]["isl_e_pairs"] == [
        {"a": "server1", "b": "server2", "status": "ERROR"}]
    assert s["status"] == "WARNING" and s["master_mu"] == m
    lb.uncut(table)
    wait_seen(lambda: normal(lb), T, "NORMAL after the link came back")


def test_kill_and_sigterm_of_an_mu(lab):
    """kill -9 of an MU that is not the master: its NOT_ACCESSIBLE event once on every MU,
    power status UNKNOWN (it announced nothing, status.md §1); back: NORMAL. SIGTERM:
    `M2000 deactivated` on every MU while it is down, power OFF (slot LEFT), the cluster
    WARNING; back: NORMAL and `M2000 activated` again."""
    lb = lab(servers=2, mus=2)
    mus = [u["name"] for u in lb.units("MU")]
    m = wait_seen(lambda: normal(lb), T, "NORMAL with a master")
    v = next(u for u in mus if u != m)
    rest = [u for u in mus if u != v]
    lb.kill(v)
    on_every(lb, rest, f"Network heartbeat of unit '{v}' changed from 'NORMAL' to "
             "'NOT_ACCESSIBLE'")
    s = status_of(lb, m, lambda s: row(s, v)["power_status"] == "UNKNOWN",
                  f"{v}'s power status UNKNOWN")
    assert s["status"] == "WARNING" and row(s, v)["status"] == "ERROR"
    lb.restart(v)
    wait_seen(lambda: normal(lb), T, f"NORMAL after {v} came back")
    on_every(lb, mus, "M2000 activated", origin=v, n=2)
    # the kill's NOT_ACCESSIBLE stays a single event on every MU (v caught up on it)
    on_every(lb, mus, f"Network heartbeat of unit '{v}' changed from 'NORMAL' to "
             "'NOT_ACCESSIBLE'")

    p = lb.restarted[v]
    lb.kill(v, signal.SIGTERM)
    wait_for(lambda: p.poll() is not None, T, f"{v} stopped after SIGTERM")
    assert p.returncode == 0
    on_every(lb, rest, "M2000 deactivated", origin=v)
    s = status_of(lb, m, lambda s: row(s, v)["power_status"] == "OFF" and
                  s["status"] == "WARNING", f"{v} OFF, the cluster WARNING")
    assert row(s, v)["system_status"] == "DOWN"
    lb.restart(v)
    wait_seen(lambda: normal(lb), T, f"NORMAL after {v} came back again")
    on_every(lb, mus, "M2000 activated", origin=v, n=3)


def test_su_in_the_lab(lab):
    """An SU (`--sus-per-server 1`) answers the Master MU's heartbeat, shows in `sectl
    units` as SU, and its `X2000 activated` reaches every MU; SIGTERM: `X2000
    deactivated` on every MU, power OFF."""
    lb = lab(servers=2, mus=1, sus=1)
    mus = [u["name"] for u in lb.units("MU")]
    sus = [u["name"] for u in lb.units("SU")]
    assert len(sus) == 2
    wait_seen(lambda: normal(lb), T, "NORMAL with a master")
    units = {u["name"]: u for u in lb.sectl("units")["units"]}
    for n in sus:
        assert units[n]["role"] == "SU", units[n]
        assert units[n]["network_heartbeat"] == "NORMAL" and units[n]["power_status"] == "ON"
        assert units[n]["system_status"] == "RUNNING"
        on_every(lb, mus, "X2000 activated", origin=n)
    p = lb.unit(sus[0])["pid"]
    lb.kill(sus[0], signal.SIGTERM)
    wait_for(lambda: not lb.unit(sus[0])["running"], T, f"{sus[0]} stopped after SIGTERM")
    on_every(lb, mus, "X2000 deactivated", origin=sus[0])
    m = master_of(lb)
    s = status_of(lb, m, lambda s: row(s, sus[0])["power_status"] == "OFF",
                  f"{sus[0]} OFF (pid {p})")
    assert row(s, sus[1])["power_status"] == "ON"

"""Fault tier: the master lease with real processes on real CRD files (crd.md §5, §6
invariants 1 and 2; testing.md oracles).

Three crd-contender processes per group contend for the lease of one CRD (its own files);
groups run concurrently. Each trial draws a random schedule from its seed (printed on
failure): kill -9 and restart, SIGSTOP for lengths swept across [lease, lease + claim +
2 x renew], and injected disk faults including writes that land late. Oracles: belief
intervals (CLOCK_MONOTONIC, closed at their computed expiry) of different processes never
overlap; no acknowledged devcount increment is lost or acknowledged twice.
"""
import concurrent.futures, os, random, tempfile, time
import pytest
from lab import (Contender, format_set, read_log, overlaps, read_devcount, wait_for,
                 LEASE, CLAIM, RENEW)

TRIALS = int(os.environ.get("SECLUSTER_LEASE_TRIALS", "50"))
PARALLEL = int(os.environ.get("SECLUSTER_LEASE_PARALLEL", "10"))
TRIAL_S = float(os.environ.get("SECLUSTER_LEASE_TRIAL_S", "6"))

FAULTS = [
    "crd.write:*ext{d} late {ms}",
    "crd.write:*ext{d} fail 5 count=3",
    "crd.read:*ext{d} fail 5 count=3",
    "crd.write:*ext{d} delay {ms} count=2",
    "crd.read:*ext{d} delay {ms} count=2",
    "crd.write:*ext{d} tear 0 count=1",
]


def check_log(log, disks, seed):
    intervals, acks = read_log(log)
    bad = overlaps(intervals)
    assert not bad, f"seed {seed}: two masters at once: {bad[:3]}"
    values = [a[2] for a in acks]
    dup = sorted({v for v in values if values.count(v) > 1})
    assert not dup, f"seed {seed}: devcount values acknowledged twice: {dup[:10]}"
    final = read_devcount(disks)
    assert not values or final >= max(values), \
        f"seed {seed}: acknowledged increment lost: final {final} < acked {max(values)}"
    return intervals, values


def trial(seed, k, ndisks):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="sec-lease-") as d:
        disks = format_set(d, ndisks)
        log = os.path.join(d, "beliefs.log")
        cs = [Contender(d, u, disks, log) for u in (1, 2, 3)]
        try:
            for c in cs:
                c.start()
            wait_for(lambda: read_log(log)[0], 15, f"seed {seed}: a first master")
            end = time.monotonic() + TRIAL_S
            step = 0
            while time.monotonic() < end:
                c = rng.choice(cs)
                action = rng.choice(["kill", "stop", "fault", "fault"])
                if action == "kill":
                    c.kill9()
                    time.sleep(rng.uniform(0, 0.3))  # pacing of the schedule
                    c.start()
                elif action == "stop":
                    # swept across [lease, lease + claim + 2 x renew]
                    frac = ((k + step) % 11) / 10
                    c.stop()
                    time.sleep(LEASE + frac * (CLAIM + 2 * RENEW))
                    c.cont()
                else:
                    f = rng.choice(FAULTS).format(d=rng.randint(1, ndisks), ms=rng.randint(100, 1500))
                    c.set_faults([f])
                    time.sleep(rng.uniform(0.2, 1.0))
                    c.set_faults([])
                step += 1
        finally:
            for c in cs:
                c.terminate()
        intervals, values = check_log(log, disks, seed)
        return len(intervals), len(values)


@pytest.mark.parametrize("ndisks", [1, 2])
def test_lease_contention_random_faults(ndisks):
    base = random.randrange(1 << 30)
    n = TRIALS // 2
    print(f"base seed {base} (SECLUSTER_LEASE_TRIALS={TRIALS})")
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as ex:
        res = list(ex.map(lambda k: trial(base + k, k, ndisks), range(n)))
    masters = sum(r[0] for r in res)
    acks = sum(r[1] for r in res)
    print(f"{n} trials, {masters} belief intervals, {acks} acknowledged increments")
    assert masters >= n, "the schedules must elect masters for the oracle to mean anything"
    assert acks > 0


def holders(log):
    return {(u, inc) for (_, _, u, inc, _) in read_log(log)[0]}


def test_hung_disk_master_keeps_lease():
    """One external disk hangs forever for the master only: it keeps the lease (N = 2)."""
    with tempfile.TemporaryDirectory(prefix="sec-lease-") as d:
        disks = format_set(d, 2)
        log = os.path.join(d, "beliefs.log")
        cs = [Contender(d, u, disks, log, devcount=False) for u in (1, 2, 3)]
        try:
            for c in cs:
                c.start()
            first = wait_for(lambda: read_log(log)[0], 15, "a first master")[0]
            m = next(c for c in cs if c.unit == first[2])
            m.set_faults(["crd.*:*ext1 hang"])
            t_end = time.monotonic() + 4 * (LEASE + CLAIM + 2 * RENEW)
            while time.monotonic() < t_end:  # observe: the belief must stay continuous
                iv = read_log(log)[0]
                assert len(iv) == 1, f"the master changed while one disk hung for it: {iv}"
                time.sleep(0.1)
            iv = read_log(log)[0]
            assert iv[0][1] > time.monotonic_ns(), "the master's lease is still valid"
        finally:
            for c in cs:
                c.terminate()


def test_two_site_split_never_two_masters():
    """The seed's two-site layout split: each MU sees only its own site's disk."""
    with tempfile.TemporaryDirectory(prefix="sec-lease-") as d:
        disks = format_set(d, 2)
        log = os.path.join(d, "beliefs.log")
        cs = [Contender(d, u, disks, log, devcount=False) for u in (1, 2)]
        cs[0].set_faults(["crd.*:*ext2 fail 5"])  # site A
        cs[1].set_faults(["crd.*:*ext1 fail 5"])  # site B
        try:
            for c in cs:
                c.start()
            t_end = time.monotonic() + 3 * (LEASE + CLAIM + 2 * RENEW)
            while time.monotonic() < t_end:
                time.sleep(0.1)
                assert not read_log(log)[0], "no master may be elected while the sites are split"
            # heal: exactly one master appears
            for c in cs:
                c.set_faults([])
            wait_for(lambda: read_log(log)[0], 15, "a master after the split heals")
            # split again with a master in place: never two
            cs[0].set_faults(["crd.*:*ext2 fail 5"])
            cs[1].set_faults(["crd.*:*ext1 fail 5"])
            t_end = time.monotonic() + 3 * (LEASE + CLAIM + 2 * RENEW)
            while time.monotonic() < t_end:
                time.sleep(0.1)
                assert not overlaps(read_log(log)[0])
        finally:
            for c in cs:
                c.terminate()
        assert not overlaps(read_log(log)[0])

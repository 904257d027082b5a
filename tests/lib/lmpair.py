#!/usr/bin/env python3
"""An LM source and target QEMU running the demo guest, driven by bare QMP (qmpsync), for
tests/fault/test_qemu_lm.py and bench/lm-bare.py (vm2000.md §5 "QEMU facts";
research/qemu-lm.md §4, §10; qemu-lm2.md Experiment 1).

Both QEMUs get the argv of src/qemu's qemu_argv_build() (printed by `qemu-probe argv`):
the IPL disk A000 (a copy of build/guest/secguest.elf, booted with -kernel) and the
marker disk A001 (raw, 1 MiB, cache=none), both virtio-blk, shared by source and target
through the same files; the target is identical plus `-incoming defer -S`.

    import lmpair
    d = lmpair.workdir()                          # short /tmp dir (QMP sun_path limit)
    lmpair.make_disks(d, build)
    src = lmpair.Vm(d, "src", build, mem_mib=64, append="marker=A001 report_ms=100")
    src.wait_reports(3)
    tgt = lmpair.Vm(d, "tgt", build, mem_mib=64, append=..., incoming=True)
    lm = lmpair.Lm(src, tgt, downtime_ms=50)       # capabilities, migrate-incoming, port
    lm.start()                                     # source migrate
    r = lm.wait_completed(timeout=60)              # source MIGRATION completed
    lm.resume_target(wait_loaded=True)             # target loaded? cont, wait for RESUME
    lm.result()                                    # times in ms (see Lm.result)
    ...
    for vm in (src, tgt): vm.kill()                # by PID, in finally blocks

Every QEMU started here is a child of the caller; kill() ends it by its PID and reaps it.
"""
import json, os, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qmpsync  # noqa: E402
from qmpsync import now  # noqa: E402
import guestcheck as gc  # noqa: E402

QEMU = shutil.which("qemu-system-x86_64")
BANDWIDTH = 4 << 30          # bytes/s: max-bandwidth (QEMU 7.2's default is 128 MiB/s)


def workdir(prefix="lm"):
    """A fresh short directory under /tmp (a QMP socket path must fit 107 bytes)."""
    d = f"/tmp/{prefix}-{os.getpid()}-{time.monotonic_ns() % 1000000}"
    os.makedirs(d)
    return d


def make_disks(d, build, marker_bytes=1 << 20):
    """d/A000.img = the demo guest kernel (the IPL disk), d/A001.img = an empty marker
    disk. Returns (ipl, marker) paths."""
    ipl, marker = os.path.join(d, "A000.img"), os.path.join(d, "A001.img")
    shutil.copy(os.path.join(build, "guest/secguest.elf"), ipl)
    with open(marker, "wb") as f:
        f.truncate(marker_bytes)
    return ipl, marker


def qemu_argv(d, side_dir, build, name, mem_mib, append, incoming):
    """The argv of qemu_argv_build() for the demo guest (qemu-probe argv)."""
    cmd = [os.path.join(build, "tests/fault/qemu-probe"), "argv", "--dir", side_dir,
           "--name", name, "--disk", f"A000={d}/A000.img", "--disk", f"A001={d}/A001.img",
           "--ipl", "A000", "--append", append, "--mem", str(mem_mib)]
    if incoming:
        cmd += ["--incoming", "-S"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


# the nice value the QEMUs start with; the benchmarks set sec-guard's (10, docs/guard.md) so
# that the bare QEMUs compete for the CPU as secluster's do
QEMU_NICE = 0


class Vm:
    """One QEMU of the pair: d/<side>/console.log, d/<side>/q.qmp, d/<side>/qemu.stderr."""

    def __init__(self, d, side, build, mem_mib=64, append="marker=A001", incoming=False,
                 name="LMVM", qmp_timeout=10.0):
        self.side, self.dir = side, os.path.join(d, side)
        os.makedirs(self.dir, exist_ok=True)
        self.log = os.path.join(self.dir, "console.log")
        self.argv = qemu_argv(d, self.dir, build, name, mem_mib, append, incoming)
        self.stderr_path = os.path.join(self.dir, "qemu.stderr")
        with open(self.stderr_path, "wb") as err:
            self.t_exec = now()
            nice = QEMU_NICE
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err, close_fds=True,
                                         preexec_fn=(lambda: os.nice(nice)) if nice else None)
        self.qmp = None
        try:
            self.qmp = qmpsync.QMP(os.path.join(self.dir, "q.qmp"), timeout=qmp_timeout)
        except Exception:
            self.kill()
            raise

    @property
    def pid(self):
        return self.proc.pid

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def reports(self):
        """(n, ok, rest) of every report line in this QEMU's own console log."""
        return [r for b in gc.parse_console(self.text()) for r in b["reports"]]

    def wait_for(self, cond, timeout, what, interval=0.02):
        """Polls cond() until true (returned) or timeout; raises AssertionError with this
        QEMU's console and stderr."""
        deadline = now() + timeout
        while True:
            v = cond()
            if v:
                return v
            if now() > deadline:
                raise AssertionError(f"{self.side}: timed out after {timeout} s waiting for "
                                     f"{what}; exit {self.proc.poll()}; console:\n"
                                     f"{self.text()[-2000:]}\nstderr: {self.stderr()}")
            time.sleep(interval)  # polling a condition with a deadline

    def wait_reports(self, count, timeout=30.0, above=0):
        """Waits until this console shows count report lines with n > above; returns all
        its reports."""
        def enough():
            assert self.proc.poll() is None, f"{self.side}: QEMU exited: {self.stderr()}"
            r = self.reports()
            return r if sum(1 for n, _, _ in r if n > above) >= count else None
        return self.wait_for(enough, timeout, f"{count} report lines with n > {above}")

    def status(self):
        return self.qmp.execute("query-status")["status"]

    def wait_exit(self, timeout):
        """The exit code, or None if still running after timeout seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, sig=signal.SIGKILL):
        """Ends this QEMU by its PID (SIGCONT first, in case a test stopped it) and reaps
        it. Safe to call twice."""
        if self.qmp is not None:
            self.qmp.close()
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        return self.proc.returncode


class Lm:
    """One bare-QMP live migration src -> tgt (qemu-lm.md §10, qemu-lm2.md Experiment 1).
    The constructor prepares both sides: target capabilities events + late-block-activate,
    migrate-incoming tcp:127.0.0.1:0 and its port; source capabilities events (+
    auto-converge if asked), downtime-limit and max-bandwidth. postcopy-ram and return-path
    are never enabled; self.caps_src / self.caps_tgt hold query-migrate-capabilities of
    both as {name: state}."""

    def __init__(self, src, tgt, downtime_ms=50, bandwidth=BANDWIDTH, auto_converge=False):
        self.src, self.tgt = src, tgt
        tq, sq = tgt.qmp, src.qmp
        tq.execute("migrate-set-capabilities", {"capabilities": [
            {"capability": "events", "state": True},
            {"capability": "late-block-activate", "state": True}]})
        tq.execute("migrate-incoming", {"uri": "tcp:127.0.0.1:0"})
        addr = tq.execute("query-migrate")["socket-address"][0]
        self.port = int(addr["port"])
        caps = [{"capability": "events", "state": True}]
        if auto_converge:
            caps.append({"capability": "auto-converge", "state": True})
        sq.execute("migrate-set-capabilities", {"capabilities": caps})
        sq.execute("migrate-set-parameters", {"downtime-limit": downtime_ms,
                                               "max-bandwidth": bandwidth})
        self.caps_src = {c["capability"]: c["state"]
                         for c in sq.execute("query-migrate-capabilities")}
        self.caps_tgt = {c["capability"]: c["state"]
                         for c in tq.execute("query-migrate-capabilities")}
        self.params_src = sq.execute("query-migrate-parameters")
        self.t_migrate = self.t_completed = self.t_stop = self.t_resume = None
        self.t_cont = self.t_cont_reply = None
        self.stop_ev = self.resume_ev = None
        self.info = None

    def start(self):
        """Source migrate to the target's port (returns at once)."""
        self.mark_src, self.mark_tgt = self.src.qmp.mark(), self.tgt.qmp.mark()
        self.t_migrate = now()
        self.src.qmp.execute("migrate", {"uri": f"tcp:127.0.0.1:{self.port}"})

    def wait_completed(self, timeout=60.0):
        """Waits for the source's MIGRATION{completed}; raises AssertionError on failed or
        cancelled. Returns the source's query-migrate."""
        q = self.src.qmp
        ev = qmpsync.poll_until(
            [q, self.tgt.qmp],
            lambda: q.find_event("MIGRATION", lambda d: d["status"] in (
                "completed", "failed", "cancelled"), after=self.mark_src), timeout)
        if ev["data"]["status"] != "completed":
            raise AssertionError(f"migration {ev['data']['status']}: "
                                 f"{q.execute('query-migrate')}; target stderr: "
                                 f"{self.tgt.stderr()}")
        self.t_completed = ev["t_mono"]
        self.stop_ev = q.find_event("STOP", after=self.mark_src)
        assert self.stop_ev is not None, f"no STOP before completed: {q.events[self.mark_src:]}"
        self.t_stop = self.stop_ev["t_mono"]
        self.info = q.execute("query-migrate")
        return self.info

    def _final_info(self):
        """query-migrate may say completed before total-time and downtime are filled in
        (qemu-lm.md §9.6; seen here too): ask the source again once, if it is still there."""
        if self.info and not self.info.get("total-time") and self.src.proc.poll() is None:
            try:
                self.info = self.src.qmp.execute("query-migrate")
            except (qmpsync.QMPClosed, TimeoutError):
                pass

    def resume_target(self, timeout=10.0, wait_loaded=False):
        """Target cont; waits for its RESUME event. wait_loaded: first wait for the
        target's own MIGRATION{completed} (it has loaded the whole stream and is paused;
        docs/qemu.md "Live migration facts": a cont while it is still inmigrate means
        "start when loaded", or fails while the source holds the disks)."""
        q = self.tgt.qmp
        if wait_loaded:
            qmpsync.poll_until([q, self.src.qmp], lambda: q.find_event(
                "MIGRATION", lambda d: d["status"] in ("completed", "failed"),
                after=self.mark_tgt), timeout)
        m = q.mark()
        self.t_cont = now()
        cid = q.send("cont")
        qmpsync.poll_until([q, self.src.qmp], lambda: q.has_reply(cid) and
                           q.find_event("RESUME", after=m), timeout)
        q.reply(cid, 0)
        self.t_cont_reply = q.last_reply_t
        self.resume_ev = q.find_event("RESUME", after=m)
        self.t_resume = self.resume_ev["t_mono"]

    def result(self):
        """Times of the run, ms: migrate_to_completed (our migrate call to the source's
        MIGRATION{completed} receive time), pause (source STOP to target RESUME, our
        CLOCK_MONOTONIC receive times), pause_qemu (the same by QEMU's event timestamps,
        wall clock), total (migrate to target RESUME); stop_to_completed (source STOP to
        its completed), tgt_completed_after_src (the target's own MIGRATION{completed}
        after the source's: the target still loading), cont_reply / cont_to_resume (target
        cont sent to its reply / to its RESUME); QEMU's own total-time, downtime,
        setup-time, transferred bytes, dirty-sync-count."""
        def ms(a, b):
            return None if a is None or b is None else round((b - a) * 1000, 3)

        def ts(ev):
            return ev["timestamp"]["seconds"] + ev["timestamp"]["microseconds"] / 1e6
        self._final_info()
        ram = (self.info or {}).get("ram", {})
        tc = self.tgt.qmp.find_event("MIGRATION", lambda d: d["status"] == "completed",
                                     after=getattr(self, "mark_tgt", 0))
        return {
            "stop_to_completed_ms": ms(self.t_stop, self.t_completed),
            "tgt_completed_after_src_ms": ms(self.t_completed, tc and tc["t_mono"]),
            "cont_reply_ms": ms(self.t_cont, self.t_cont_reply),
            "cont_to_resume_ms": ms(self.t_cont, self.t_resume),
            "migrate_to_completed_ms": ms(self.t_migrate, self.t_completed),
            "pause_ms": ms(self.t_stop, self.t_resume),
            "pause_qemu_ms": (ms(ts(self.stop_ev), ts(self.resume_ev))
                              if self.stop_ev and self.resume_ev else None),
            "total_ms": ms(self.t_migrate, self.t_resume),
            "qemu_total_time_ms": (self.info or {}).get("total-time"),
            "qemu_downtime_ms": (self.info or {}).get("downtime"),
            "qemu_setup_time_ms": (self.info or {}).get("setup-time"),
            "transferred_bytes": ram.get("transferred"),
            "dirty_sync_count": ram.get("dirty-sync-count"),
        }

"""src/qemu against a real QEMU 7.2 (issue 4 "src/qemu/", "Tape and local-disk MNs are
removable-media devices: prove attach/detach with a short QMP experiment first").

QEMU runs under TCG, paused (-S), with no guest kernel, on the command line that
qemu_argv_build() makes (qemu-probe argv): a virtio-blk IPL disk, a scsi-cd tape T0 and a
removable scsi-hd local disk L0 on virtio-scsi. qemu-probe media drives QMP with the
project's client (src/qemu/qmp.c): per device twice detach (blockdev-open-tray force +
blockdev-remove-medium [+ blockdev-del]) and attach (blockdev-add + blockdev-insert-medium +
blockdev-close-tray), reading query-block around each step and whether QEMU still holds the
backing file open. Then QEMU is killed with SIGKILL and the client must report the closed
connection at once. A second QEMU on the same exclusive disks must fail on the image lock,
with its reason in its stderr file. Every process is ended by its PID; waits have deadlines.
Results: docs/qemu.md.
"""
import json, os, select, shutil, signal, subprocess, time
import pytest
from lab import BUILD

PROBE = os.path.join(BUILD, "tests/fault/qemu-probe")
QEMU = shutil.which("qemu-system-x86_64")

pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed")


@pytest.fixture
def vmdir():
    # a short directory: the QMP socket path must fit sun_path (107 bytes)
    d = f"/tmp/qmpt-{os.getpid()}-{time.monotonic_ns() % 100000}"
    os.makedirs(d)
    for name in ("A000.img", "T0.img", "L0.img"):
        with open(os.path.join(d, name), "wb") as f:
            f.truncate(1 << 20)
    procs = []
    yield d, procs
    for p in procs:  # every process started, by PID, also when the test failed
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    shutil.rmtree(d, ignore_errors=True)


def build_argv(d, name):
    out = subprocess.run([PROBE, "argv", "--dir", d, "--name", name,
                          "--disk", f"A000={d}/A000.img", "--tape", f"T0={d}/T0.img",
                          "--local", f"L0={d}/L0.img", "--ipl", "A000", "-S"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def start_qemu(d, procs, name, stderr_name):
    argv = build_argv(d, name)
    err = open(os.path.join(d, stderr_name), "w")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=err, close_fds=True)
    err.close()
    procs.append(p)
    return p


def by_step(lines, dev):
    return [m for m in lines if m.get("dev") == dev and "step" in m]


def check_device(steps, ro, file):
    """The 20 steps of qemu-probe for one device: see qemu-probe.c."""
    names = [s["step"] for s in steps]
    assert names == ["query-block", "blockdev-open-tray", "blockdev-remove-medium",
                     "query-block", "blockdev-add", "blockdev-insert-medium",
                     "blockdev-close-tray",
                     "query-block", "blockdev-open-tray", "blockdev-remove-medium",
                     "blockdev-del", "query-block", "blockdev-add", "blockdev-insert-medium",
                     "blockdev-close-tray", "query-block",
                     "medium-detach", "query-block", "medium-attach", "query-block"], names
    for s in steps:
        assert s["err"] == 0, s
    q0, q1, q2, q3, q4 = (steps[i] for i in (0, 3, 7, 11, 15))
    # attached from the command line
    assert q0["block"]["inserted"] and not q0["block"]["tray_open"] and q0["open"]
    assert q0["block"]["file"] == file and q0["block"]["ro"] == ro
    # detached: tray open, no medium, and QEMU closed the file (image lock released)
    assert not q1["block"]["inserted"] and q1["block"]["tray_open"], q1
    assert not steps[2]["open"], "the -drive medium stays open after remove-medium"
    # attached again with our node
    assert q2["block"]["inserted"] and not q2["block"]["tray_open"], q2
    assert q2["block"]["node"] == steps[4]["node"] and q2["block"]["ro"] == ro, q2
    # a blockdev-add medium: still open after remove-medium, closed by blockdev-del
    assert steps[9]["open"] and not steps[10]["open"], (steps[9], steps[10])
    assert not q3["block"]["inserted"] and q3["block"]["tray_open"], q3
    assert q4["block"]["inserted"] and q4["block"]["node"] == steps[12]["node"], q4
    # the same as one operation each: detach ends with blockdev-del, attach with close-tray
    md, q5, ma, q6 = steps[16:20]
    assert md["command"] == "blockdev-del" and not md["open"], md
    assert not q5["block"]["inserted"] and q5["block"]["tray_open"], q5
    assert ma["command"] == "blockdev-close-tray" and ma["open"], ma
    assert q6["block"]["inserted"] and not q6["block"]["tray_open"], q6
    assert q6["block"]["node"] == ma["node"] and q6["block"]["ro"] == ro, q6


def test_detach_attach_and_death(vmdir):
    d, procs = vmdir
    qemu = start_qemu(d, procs, "PROBE", "qemu.stderr")
    probe = subprocess.Popen([PROBE, "media", "--sock", f"{d}/q.qmp", "--pid", str(qemu.pid),
                              "--dev", f"T0={d}/T0.img:ro", "--dev", f"L0={d}/L0.img"],
                             stdout=subprocess.PIPE)
    procs.append(probe)
    lines, killed_ns, buf = [], None, b""
    deadline = time.monotonic() + 60
    while True:
        # a deadline on every line (unbuffered reads: select() does not see a file
        # object's buffer): a probe that missed QEMU's death must not block the test
        if b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([probe.stdout], [], [], left)[0]:
                raise AssertionError(f"qemu-probe silent; last lines: {lines[-3:]}")
            chunk = os.read(probe.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            continue
        line, buf = buf.split(b"\n", 1)
        m = json.loads(line)
        lines.append(m)
        if m.get("done"):
            assert qemu.poll() is None, "QEMU ended during the experiment"
            killed_ns = time.monotonic_ns()  # CLOCK_MONOTONIC, as the probe's t_ns
            os.kill(qemu.pid, signal.SIGKILL)
        if "closed" in m:
            break
    probe.wait(timeout=10)
    assert qemu.wait(timeout=10) == -signal.SIGKILL
    assert lines and lines[0].get("ready"), lines[:1]
    assert lines[0]["version"]["qemu"]["major"] >= 7
    check_device(by_step(lines, "T0"), True, f"{d}/T0.img")
    check_device(by_step(lines, "L0"), False, f"{d}/L0.img")
    trays = [(m["data"]["id"], m["data"]["tray-open"]) for m in lines
             if m.get("event") == "DEVICE_TRAY_MOVED"]
    assert trays == [("dev-T0", True), ("dev-T0", False)] * 3 + \
        [("dev-L0", True), ("dev-L0", False)] * 3, trays
    # QEMU's death is noticed at once: the closed callback within 1 s of the SIGKILL
    closed = lines[-1]
    assert killed_ns is not None and "closed" in closed, lines[-3:]
    assert closed["closed"] == -104, closed  # -ECONNRESET
    delay_ms = (closed["t_ns"] - killed_ns) / 1e6
    print(f"closed {delay_ms:.1f} ms after SIGKILL")
    assert 0 <= delay_ms < 1000, delay_ms
    assert probe.returncode == 0
    # QEMU's stderr went to its file (nothing to say in this run, but the file is there)
    assert os.path.exists(os.path.join(d, "qemu.stderr"))


def test_second_qemu_fails_on_image_lock(vmdir):
    """A second QEMU on the same exclusive disks (no share-rw) cannot start: QEMU's image
    lock refuses, its reason lands in the stderr file, it exits 1."""
    d, procs = vmdir
    first = start_qemu(d, procs, "FIRST", "first.stderr")
    ready = subprocess.Popen([PROBE, "media", "--sock", f"{d}/q.qmp", "--pid",
                              str(first.pid), "--no-wait"], stdout=subprocess.PIPE, text=True)
    procs.append(ready)
    out = ready.communicate(timeout=30)[0]
    assert '"ready":true' in out, out  # the first QEMU holds its locks now
    os.rename(f"{d}/q.qmp", f"{d}/first.qmp")  # the second binds its own socket
    second = start_qemu(d, procs, "SECOND", "second.stderr")
    assert second.wait(timeout=30) == 1
    with open(os.path.join(d, "second.stderr")) as f:
        err = f.read()
    assert 'Failed to get "write" lock' in err, err
    assert first.poll() is None


GUEST = os.path.join(BUILD, "guest/secguest.elf")


@pytest.mark.skipif(not os.path.exists(GUEST), reason="the demo guest (guest/) is not built")
def test_kernel_boot_from_ipl_disk(vmdir):
    """The IPL disk's backing file is the demo guest (a Multiboot ELF): the argv boots it
    with -kernel and the command line, and the guest finds its marker disk A001 by the
    virtio-blk serial."""
    d, procs = vmdir
    shutil.copy(GUEST, f"{d}/A000.img")
    with open(f"{d}/A001.img", "wb") as f:
        f.truncate(1 << 20)
    argv = json.loads(subprocess.run(
        [PROBE, "argv", "--dir", d, "--name", "BOOT", "--disk", f"A000={d}/A000.img",
         "--disk", f"A001={d}/A001.img", "--ipl", "A000", "--append", "marker=A001"],
        check=True, capture_output=True, text=True).stdout)
    assert argv[argv.index("-kernel") + 1] == f"{d}/A000.img"
    assert argv[argv.index("-append") + 1] == "marker=A001"
    assert not any("bootindex" in a for a in argv)
    err = open(f"{d}/qemu.stderr", "w")
    procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=err))
    err.close()
    deadline, text = time.monotonic() + 60, ""
    while "GUEST n=" not in text:
        assert time.monotonic() < deadline, f"no guest counter on the console: {text!r}"
        time.sleep(0.05)  # polling the console file for a condition, not a fixed wait
        if os.path.exists(f"{d}/console.log"):
            with open(f"{d}/console.log") as f:
                text = f.read()
    assert "GUEST READY" in text and "marker=A001" in text, text

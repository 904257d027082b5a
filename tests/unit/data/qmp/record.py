#!/usr/bin/env python3
"""Records real QEMU 7.2 QMP replies for the unit tests (see README).

Usage: python3 record.py [OUTDIR]   (default: this directory)
Starts qemu-system-x86_64 (TCG, -S, no guest) with a virtio-blk disk, a scsi-cd tape and a
removable scsi-hd local disk, runs a fixed command list over QMP and writes each reply (and
the events that came with it) to OUTDIR/<name>.json. Ends QEMU by its PID."""
import json, os, shutil, socket, subprocess, sys, tempfile, time

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp(prefix="qmprec-")
for name, size in (("A000.img", 1 << 20), ("T0.img", 1 << 20), ("L0.img", 1 << 20)):
    with open(os.path.join(tmp, name), "wb") as f:
        f.truncate(size)
sock = os.path.join(tmp, "q.qmp")
argv = ["qemu-system-x86_64", "-name", "REC", "-machine", "pc-i440fx-7.2", "-accel", "tcg",
        "-cpu", "qemu64", "-m", "32M", "-smp", "1", "-nodefaults", "-no-user-config",
        "-display", "none", "-no-shutdown", "-S",
        "-qmp", f"unix:{sock},server=on,wait=off",
        "-drive", f"file={tmp}/A000.img,format=raw,if=none,id=drv-A000,cache=none",
        "-device", "virtio-blk-pci,drive=drv-A000,id=dev-A000,serial=A000",
        "-device", "virtio-scsi-pci,id=scsi0",
        "-drive", f"file={tmp}/L0.img,format=raw,if=none,id=drv-L0,cache=none",
        "-device", "scsi-hd,bus=scsi0.0,drive=drv-L0,id=dev-L0,serial=L0,removable=on",
        "-drive", f"file={tmp}/T0.img,format=raw,if=none,id=drv-T0,media=cdrom,readonly=on,cache=none",
        "-device", "scsi-cd,bus=scsi0.0,drive=drv-T0,id=dev-T0,serial=T0"]
qemu = subprocess.Popen(argv, stderr=open(os.path.join(tmp, "stderr"), "w"))
try:
    deadline = time.monotonic() + 10
    s = socket.socket(socket.AF_UNIX)
    while True:
        try:
            s.connect(sock)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    f = s.makefile("rwb", buffering=0)

    def readmsg():
        return json.loads(f.readline())

    def save(name, obj):
        with open(os.path.join(out, name + ".json"), "w") as o:
            json.dump(obj, o, indent=1, sort_keys=True)
            o.write("\n")

    save("greeting", readmsg())
    n = 0

    def run(name, cmd, args=None, settle_events=()):
        """Runs cmd; saves {"reply": ..., "events": [...]}; waits for settle_events."""
        global n
        n += 1
        m = {"execute": cmd, "id": n}
        if args is not None:
            m["arguments"] = args
        f.write((json.dumps(m) + "\n").encode())
        events, reply = [], None
        want = list(settle_events)
        while reply is None or want:
            msg = readmsg()
            if "event" in msg:
                events.append(msg)
                if msg["event"] in want:
                    want.remove(msg["event"])
            else:
                reply = msg
        save(name, {"command": m, "reply": reply, "events": events})

    run("caps", "qmp_capabilities")
    run("query-status-prelaunch", "query-status")
    run("query-block-attached", "query-block")
    run("query-migrate-none", "query-migrate")
    run("open-tray-T0", "blockdev-open-tray", {"id": "dev-T0", "force": True}, ["DEVICE_TRAY_MOVED"])
    run("remove-medium-T0", "blockdev-remove-medium", {"id": "dev-T0"})
    run("open-tray-L0", "blockdev-open-tray", {"id": "dev-L0", "force": True}, ["DEVICE_TRAY_MOVED"])
    run("remove-medium-L0", "blockdev-remove-medium", {"id": "dev-L0"})
    run("query-block-detached", "query-block")
    run("blockdev-add-T0", "blockdev-add", {"driver": "raw", "node-name": "med-T0-1", "read-only": True,
        "cache": {"direct": True, "no-flush": False},
        "file": {"driver": "file", "filename": f"{tmp}/T0.img"}})
    run("insert-medium-T0", "blockdev-insert-medium", {"id": "dev-T0", "node-name": "med-T0-1"})
    run("close-tray-T0", "blockdev-close-tray", {"id": "dev-T0"}, ["DEVICE_TRAY_MOVED"])
    run("query-block-reattached", "query-block")
    run("error-device-not-found", "blockdev-open-tray", {"id": "dev-XX", "force": True})
    run("error-command-not-found", "no-such-command")
    run("cont", "cont", None, ["RESUME"])
    run("query-status-running", "query-status")
    run("stop", "stop", None, ["STOP"])
    run("query-status-paused", "query-status")
    run("system_reset", "system_reset", None, ["RESET"])
    run("system_powerdown", "system_powerdown", None, ["POWERDOWN"])
    run("quit", "quit", None, ["SHUTDOWN"])
    try:  # QEMU closes the socket; sometimes as a reset
        eof = f.readline()
        assert eof == b"", eof
    except ConnectionResetError:
        pass
    qemu.wait(timeout=10)
finally:
    if qemu.poll() is None:
        qemu.kill()
        qemu.wait()
    shutil.rmtree(tmp, ignore_errors=True)
print("recorded into", out, "qemu rc", qemu.returncode)

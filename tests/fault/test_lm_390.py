"""Live Migration between two SUs /390 (issue 5; seed 4.6.1, 4.7; vm2000.md §5): the /390
policy aborts an LM whose memory cannot be moved in the allowed time (VMS2425) and the
/390 message set. The lab's SUs /390 run the same x86 QEMU (`sectl lab up --su-type 390`;
there is no /390 engine: docs/lm.md). [su] lm_tcg_live = true (a live copy: with the guest
stopped a copy always converges), lm_bandwidth_mib = 1 and lm_converge_ms = 3000, and the
demo guest dirties 8 MiB/s (ipl_append) — more than the copy moves."""
import os, signal

import pytest

from lab import wait_for
from lmlab import (make_lab, console, vms, last_n, start_guest, remove_guest, migrate, mark,
                   wait_lm_end, guest_continues, qemu_pid, sdf, sectl, restart_secd)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = make_lab(str(tmp_path_factory.mktemp("lm390")), bandwidth_mib=1, su390=True,
                  config=["lm_tcg_live = true", "lm_converge_ms = 3000",
                          "ipl_append = marker=A001 report_ms=250 dirty_kib=8192 ws_kib=16384"])
    try:
        yield lb
    finally:
        lb.down()


def test_not_converging_aborts_with_vms2425(lab):
    """SU /390: the dirty memory cannot be moved within lm_converge_ms: the LM is aborted
    with VMS2425 (the /390 abort message), the guest goes on on su1, su2 keeps nothing."""
    try:
        start_guest(lab, "su1", "G1", 3)
        m1, m2 = mark(lab, "su1"), mark(lab, "su2")
        res, lm_id = migrate(lab, "su1", "G1")
        assert lm_id, res
        assert wait_lm_end(lab, "su1", m1) == "aborted", console(lab, "su1", after=m1)
        src = console(lab, "su1", after=m1)
        assert any("VMS2425" in l for l in src), src
        assert vms(lab, "su1").get("G1") == "RUNNING"
        guest_continues(lab, "su1", "G1", last_n(lab, "su1", "G1"))
        wait_for(lambda: qemu_pid(lab, "su2", 3) is None, 30, "su2 dropping its QEMU")
        assert "G1" not in vms(lab, "su2")
    finally:
        remove_guest(lab, "G1")


def test_hold_vm_is_a_390_state(lab):
    """/HOLD-VM exists on SU /390 (not on x86): a VM IN HOLD cannot be migrated (seed 4.1,
    VMS2405) and the check says so; nothing changes."""
    try:
        start_guest(lab, "su1", "G2", 4)
        rc, res = sdf(lab, "su1", "/HOLD-VM VM-ID=G2")
        assert rc == 0, res
        rc, res = sdf(lab, "su1", "/CHECK-VM-MIGRATION VM-ID=G2")
        text = "\n".join(res["messages"])
        assert "VMS2461" in text and "VMS2405" in text, text
        res, lm_id = migrate(lab, "su1", "G2")
        assert lm_id is None and not res["ok"], res
        assert vms(lab, "su1").get("G2") == "IN"  # "IN HOLD" (the table's first word)
        assert "G2" not in vms(lab, "su2")
    finally:
        remove_guest(lab, "G2")


def test_different_io_configuration_gives_diff(lab):
    """SU /390 (seed 4.8): su2's I/O configuration has a device more than su1's; a VM
    migrated there shows (DIFF) (sub-status DIFF in the systems overview), cannot get the
    device su1 did not generate (VMS4001 naming su1) and loses DIFF when migrated back to
    an SU with the same configuration as its source. (An INIT-ONLY VM: the module's guests
    dirty their memory too fast to converge.)"""
    io = os.path.join(lab.dir, "units", "su2", "io.conf")
    orig = open(io).read()
    try:
        with open(io, "a") as f:
            f.write(f"B000 D3490-30 disk C1 00 {lab.dir}/disks/A00F.img\n")
        restart_secd(lab, "su2", signal.SIGTERM)
        sdf(lab, "su1", "/CREATE-VM-DEFINITION VM-NAME=G3,VM-INDEX=5,MEMORY-SIZE=64")
        sdf(lab, "su1", "/ACTIVATE-VM-DEFINITION VM-NAME=G3")
        m1 = mark(lab, "su1")
        assert migrate(lab, "su1", "G3", to="su2")[1]
        assert wait_lm_end(lab, "su1", m1) == "completed", console(lab, "su1", after=m1)
        wait_for(lambda: vms(lab, "su2").get("G3") == "INIT-ONLY(DIFF)", 60,
                 "G3 INIT-ONLY(DIFF)")
        r = sectl(lab, "systems")
        assert "INIT_ONLY (DIFF)" in r.stdout, r.stdout
        rc, res = sdf(lab, "su2", "/ADD-VM-DEVICES UNITS=B000,VM-ID=G3")
        assert rc != 0 and not res.get("ok"), res
        assert any("VMS4001 DEVICE 'B000' NOT GENERATED IN THE I/O CONFIGURATION OF SU 'su1'"
                   in m for m in res["messages"]), res
        m2 = mark(lab, "su2")
        assert migrate(lab, "su2", "G3", to="su1")[1]
        assert wait_lm_end(lab, "su2", m2) == "completed"
        assert vms(lab, "su1").get("G3") == "INIT-ONLY"
    finally:
        remove_guest(lab, "G3")
        with open(io, "w") as f:
            f.write(orig)
        restart_secd(lab, "su2", signal.SIGTERM)

"""Live Migration with the network between the SUs cut (issue 5 "Aborts"; seed 4.7): a lab
whose SE Servers live in their own network namespaces (`sectl lab up --netns`), and an nft
rule that drops everything server2 sends while the memory is copied. Waits use deadlines."""
import pytest

from lab import wait_for
from lmlab import (make_lab, console, vms, last_n, start_guest, remove_guest, migrate, mark,
                   wait_lm_end, guest_continues, qemu_pid, lm_state)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = make_lab(str(tmp_path_factory.mktemp("lmnet")), bandwidth_mib=1, netns=True)
    try:
        yield lb
    finally:
        lb.down()


def test_network_cut_mid_copy(lab):
    """The cut stops the stream: the stall watchdog ends the LM on the source, which cannot
    reach the target to tell it; the guest goes on on su1. Once the network is back the
    target learns from the source that the LM is over and drops its QEMU and reservation."""
    try:
        start_guest(lab, "su1", "G1", 3)
        m1, m2 = mark(lab, "su1"), mark(lab, "su2")
        lm_id = migrate(lab, "su1", "G1")[1]
        assert lm_id
        # The source in `copy`, not the target's VMS6020: the target prints that while it
        # answers the prepare, and a cut before the answer is back is a different fault
        # (the prepare unanswered; CI, session 8).
        wait_for(lambda: lm_state(lab, "su1", lm_id)["state"] == "copy", 60,
                 "the source copying")
        table = lab.cut("server2")
        try:
            assert wait_lm_end(lab, "su1", m1) == "aborted", console(lab, "su1", after=m1)
            line = next(l for l in console(lab, "su1", after=m1) if "VMS2426" in l)
            assert "no data moved" in line or "migration" in line, line
            assert vms(lab, "su1").get("G1") == "RUNNING"
            guest_continues(lab, "su1", "G1", last_n(lab, "su1", "G1"))
        finally:
            lab.uncut(table)
        wait_for(lambda: qemu_pid(lab, "su2", 3) is None, 30, "su2 dropping its QEMU")
        wait_for(lambda: "G1" not in vms(lab, "su2"), 10, "no G1 on su2")
        assert any("VMS2426" in l for l in console(lab, "su2", after=m2))
    finally:
        lab.undo_all()
        remove_guest(lab, "G1")

"""Shared fixtures of the fault tier."""
import pytest

from cluster_lab import Lab


@pytest.fixture
def lab(tmp_path):
    """make(**kw) starts a Lab (cluster_lab.Lab) in tmp_path; every lab made is stopped by
    PID at the end of the test, also when it failed."""
    labs = []

    def make(**kw):
        lb = Lab(str(tmp_path), **kw)
        labs.append(lb)
        return lb
    yield make
    for lb in labs:
        lb.down()

"""`make demo` as a test (issue 6): scripts/demo.sh with the `test` timing profile — the
whole SE cluster of the README's quick start (2 SE Servers x 2 MUs + 1 SU x86, SU Cluster
SUC1), a guest live-migrated, the Master MU killed, an SU killed and its guest recovered
on the partner — must succeed, say what the README says it says, and leave nothing
running. The demo itself waits for every condition with a deadline and checks that no
process of its lab is left after `sectl lab down`; this test checks that independently."""
import os, re, subprocess

import pytest

from lab import BUILD, GUARD_BUILT

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEMO = os.path.join(ROOT, "scripts", "demo.sh")


def steps(text):
    """The step headers ("== N. title") of a demo output, in order."""
    return re.findall(r"^== (\d+)\. (.*)$", text, re.M)


def lab_processes(tag):
    """PIDs of processes (not zombies) whose command line names tag."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{p}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if tag in cmd and state != "Z":
            out.append((int(p), cmd))
    return out


@pytest.fixture(scope="module")
def demo():
    if not GUARD_BUILT:
        pytest.skip("the demo runs guests: src/guard is not built")
    env = dict(os.environ, DEMO_PROFILE="test", SECLUSTER_BUILD=BUILD, KEEP="")
    env.pop("SECTL_CONFIG", None)
    r = subprocess.run(["bash", DEMO], capture_output=True, text=True, timeout=300, env=env,
                       cwd=ROOT)
    return r


def test_demo_succeeds_and_leaves_nothing_running(demo):
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr
    assert re.search(r"^demo: done in \d+ s; nothing of the lab runs$", demo.stdout, re.M)
    lab = re.search(r"--dir (/tmp/secluster-demo\.\w+/lab)", demo.stdout).group(1)
    assert lab_processes(lab) == []
    assert not os.path.exists(lab), "the demo removes its folder when it succeeded"


def test_demo_shows_each_step_of_the_issue(demo):
    out = demo.stdout
    assert [t for _, t in steps(out)] == [
        "start a lab: 2 SE Servers, each with 2 MUs and 1 SU x86; SU Cluster SUC1 of the two SUs",
        "the cluster: everything NORMAL, the Master MU named",
        "a demo guest on su1: defined, activated, started; its console counts",
        "live migration of G1 from su1 to su2",
        "kill -9 the Master MU's secd: another MU takes over",
        "su2 fails: kill -9 of its secd, its guard and the guest's QEMU",
        "what happened: the event log and the audit log",
        "stop the lab",
    ]
    # 1: all NORMAL, the Master MU named
    assert re.search(r"^Cluster\s+2\s+NORMAL$", out, re.M)
    assert re.search(r"^Master MU\s+mu\d\s+NORMAL$", out, re.M)
    # 2, 3: the guest counts on su1, the LM completes, the counter goes on on su2
    assert "% VMS2460 LIVE MIGRATION OF VM (2,G1) TO TARGET SU 'su2' POSSIBLE" in out
    assert re.search(r"^completed in [\d.]+ s, pause \d+ ms$", out, re.M)
    assert "HAL0332 BS2000 RESUME, CONTINUING" in out
    # 4: takeover
    assert re.search(r"Master MU changed from 'mu\d' to 'mu\d'", out)
    # 5: ERROR, refused, accepted, running on su1 again, su2 drops its copy
    assert re.search(r"^Status summary:\s+ERROR$", out, re.M)
    refused = out.index("% VMS2344 REMOTE SU 'su2' IS RUNNING")
    accepted = out.index("% VMS2340 VM DEFINITION 'G1' RECOVERED FROM SU 'su2'")
    assert refused < accepted
    assert re.search(r"GUEST READY boot=\w+ mem=64 marker=A001\n.*GUEST n=\d+ check=ok",
                     out[accepted:])
    assert "VM definition (2,G1) dropped: another SU owns it" in out
    # 6: the audit log has the refused and the accepted RECOVER
    assert re.search(r"RECOVER-VM-DEFINITION VM-NAME=G1,SERVER-UNIT-NAME=su2 --> Failed "
                     r"\(VMS2344\)", out)
    assert re.search(r"RECOVER-VM-DEFINITION VM-NAME=G1,SERVER-UNIT-NAME=su2 --> OK", out)
    # `lab up --su-cluster` waits for the Master MU before it creates SUC1: no failed tries
    # in the audit log (the newcomer saw 11 "no Master MU is known" pairs once)
    assert re.findall(r"Action=CreateSUCluster.*", out) == [
        "Action=CreateSUCluster; SUCluster=SUC1; Units=su1,su2; Fencing=self --> OK",
        "Action=CreateSUCluster; SUCluster=SUC1; Units=su1,su2; Fencing=self"]


def test_readme_quick_start_matches_the_demo(demo):
    """The README's sample output of `make demo` has the same steps and commands as a run."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    block = readme[readme.index("<summary>the output of <code>make demo</code></summary>"):]
    block = block[:block.index("</details>")]
    assert steps(block) == steps(demo.stdout)

    def commands(text):
        """The commands shown, without what differs between runs: the lab's folder, the
        console's sequence numbers, which MU was the Master MU."""
        out = []
        for c in re.findall(r"^\$ (.*)$", text, re.M):
            c = re.sub(r"/tmp/secluster-demo\.\w+", "DIR", c)
            c = re.sub(r"--after \d+", "--after N", c)
            out.append(re.sub(r"\bmu\d\b", "muN", c))
        return out
    # the run here uses the test profile: `lab up` says so, the README's run does not
    assert commands(block) == [c.replace(" --profile test", "") for c in commands(demo.stdout)]


def test_demo_fails_loudly_and_cleans_up(tmp_path):
    """A step that fails (here: the live migration, through a sectl wrapper that refuses
    `vm migrate`) ends the demo with a non-zero exit naming the step, and the lab is
    stopped all the same: nothing of it runs afterwards."""
    if not GUARD_BUILT:
        pytest.skip("the demo runs guests: src/guard is not built")
    wrapper = tmp_path / "build" / "src" / "sectl" / "sectl"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text('#!/bin/sh\n'
                       'case "$*" in "vm migrate G1 --to su2") '
                       'echo "sectl: injected failure" >&2; exit 1;; esac\n'
                       f'exec {os.path.join(BUILD, "src/sectl/sectl")} "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, DEMO_PROFILE="test", SECLUSTER_BUILD=str(tmp_path / "build"))
    env.pop("SECTL_CONFIG", None)
    r = subprocess.run(["bash", DEMO], capture_output=True, text=True, timeout=300, env=env,
                       cwd=ROOT)
    assert r.returncode != 0, r.stdout[-2000:]
    assert "demo: FAILED at step 4" in r.stderr, r.stderr
    assert "sectl: injected failure" in r.stderr
    assert "== stopping the lab (sectl lab down)" in r.stdout
    lab = re.search(r"--dir (/tmp/secluster-demo\.\w+/lab)", r.stdout).group(1)
    assert lab_processes(lab) == []
    assert os.path.exists(lab), "a failed demo keeps its folder for the logs"
    subprocess.run(["rm", "-rf", os.path.dirname(lab)])

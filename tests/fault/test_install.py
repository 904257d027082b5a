"""`make install` and what it installs (issue 6 "For a real installation", docs/install.md):
the files land under DESTDIR/PREFIX and nothing else does, the installed sectl runs, the
systemd units pass `systemd-analyze verify`, the man pages render without a warning and
cover every command and configuration key, and the bash completion offers every command,
subcommand and option that `sectl ... --help` prints.

Runs `make install` twice on the build directory of SECLUSTER_BUILD (that sets its
prefix, which the module puts back at the end); about 15 s."""
import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

from lab import BUILD

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BUILD_DIR = os.path.abspath(BUILD)
PREFIX = "/opt/secluster"

# Every file `make install` puts under PREFIX; nothing else (no test binary, no fuzzer,
# no sec-fakewd or sec-guard-ctl of the lab and the tests).
EXPECTED = {
    "bin/sectl",
    "sbin/secd",
    "sbin/sec-guard",
    "lib/systemd/system/secd@.service",
    "lib/systemd/system/sec-guard.service",
    "share/bash-completion/completions/sectl",
    "share/doc/secluster/secd.conf.example",
    "share/doc/secluster/io.conf.example",
    "share/man/man1/sectl.1",
    "share/man/man5/secd.conf.5",
    "share/man/man8/secd.8",
    "share/man/man8/sec-guard.8",
}
MAN_PAGES = [p for p in EXPECTED if p.startswith("share/man/")]


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, **kw)


def build_prefix():
    r = run(["meson", "introspect", "--buildoptions", BUILD_DIR])
    assert r.returncode == 0, r.stderr
    return next(o["value"] for o in json.loads(r.stdout) if o["name"] == "prefix")


def make_install(prefix, destdir=None):
    argv = ["make", "-C", REPO, "install", "BUILD=" + BUILD_DIR, "PREFIX=" + prefix]
    if destdir:
        argv.append("DESTDIR=" + destdir)
    r = run(argv)
    assert r.returncode == 0, "make install failed:\n" + r.stdout[-3000:] + r.stderr[-3000:]


@pytest.fixture(scope="module")
def restore_prefix():
    old = build_prefix()
    yield
    if build_prefix() != old:
        run(["meson", "configure", BUILD_DIR, "-Dprefix=" + old])


@pytest.fixture(scope="module")
def dest(tmp_path_factory, restore_prefix):
    """make install DESTDIR=TMP PREFIX=/opt/secluster; returns TMP/opt/secluster."""
    d = str(tmp_path_factory.mktemp("destdir"))
    make_install(PREFIX, d)
    return d + PREFIX


@pytest.fixture(scope="module")
def prefix_tree(tmp_path_factory, restore_prefix):
    """make install PREFIX=TMP (no DESTDIR): the units' ExecStart paths exist."""
    p = str(tmp_path_factory.mktemp("prefix"))
    make_install(p)
    return p


def installed_files(root):
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


def test_install_puts_every_file_where_expected_and_nothing_else(dest):
    assert installed_files(dest) == EXPECTED
    for prog in ("bin/sectl", "sbin/secd", "sbin/sec-guard"):
        assert os.access(os.path.join(dest, prog), os.X_OK), prog
    r = run([os.path.join(dest, "bin/sectl"), "--help"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: sectl COMMAND")
    # one version for every program: meson.build's project version
    version = re.search(r"version : '([^']+)'", open(os.path.join(REPO, "meson.build")).read())[1]
    for prog in ("bin/sectl", "sbin/secd", "sbin/sec-guard"):
        r = run([os.path.join(dest, prog), "--version"])
        assert (r.returncode, r.stdout) == (0, f"{os.path.basename(prog)} {version}\n"), r
    unit = open(os.path.join(dest, "lib/systemd/system/secd@.service")).read()
    assert "ExecStart=%s/sbin/secd --role %%i --config /etc/secluster/secd.conf" % PREFIX in unit


def test_example_config_passes_secd_check(dest):
    r = run([os.path.join(dest, "sbin/secd"), "-n", "--config",
             os.path.join(dest, "share/doc/secluster/secd.conf.example")])
    assert r.returncode == 0, r.stderr
    assert "profile = production" in r.stdout
    assert "no 'profile'" not in r.stderr


def test_a_config_without_profile_is_warned_about(dest, tmp_path):
    """Key 'profile' defaults to lab (4 s fence_timeout): a production secd.conf that forgets
    it would run with the lab's timings, so secd says so (found by the newcomer)."""
    example = open(os.path.join(dest, "share/doc/secluster/secd.conf.example")).read()
    conf = tmp_path / "secd.conf"
    conf.write_text("\n".join(l for l in example.splitlines() if not l.startswith("profile")))
    r = run([os.path.join(dest, "sbin/secd"), "-n", "--config", str(conf)])
    assert r.returncode == 0, r.stderr
    assert "profile = lab" in r.stdout
    assert ("no 'profile' in [timing] of '%s': using the lab profile (fence_timeout 4000 ms); "
            "real hosts need 'profile = production'" % conf) in r.stderr


def test_systemd_units_verify(prefix_tree):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    units = os.path.join(prefix_tree, "lib/systemd/system")
    # the installed directory first, then systemd's own (the trailing ':'); instances of
    # the template as an operator enables them
    env = dict(os.environ, SYSTEMD_UNIT_PATH=units + ":")
    r = run([analyze, "verify", "--man=no", "sec-guard.service", "secd@mu.service",
             "secd@su.service"], env=env)
    assert (r.returncode, r.stdout + r.stderr) == (0, "")


def unit_keys(path):
    keys = {}
    for line in open(path):
        m = re.match(r"([A-Za-z]+)=(.*)", line)
        if m:
            keys.setdefault(m.group(1), []).append(m.group(2))
    return keys


def test_restarting_secd_never_touches_the_guard(dest):
    """The guests live in sec-guard.service's control group; nothing ties the guard's
    life to secd's (a restart or stop of secd propagates only through these keys)."""
    units = os.path.join(dest, "lib/systemd/system")
    guard = unit_keys(os.path.join(units, "sec-guard.service"))
    secd = unit_keys(os.path.join(units, "secd@.service"))
    binding = ("PartOf", "BindsTo", "Requires", "Requisite", "PropagatesStopTo",
               "StopPropagatedFrom", "Conflicts")
    for k in binding:
        assert k not in guard, "sec-guard.service has %s=" % k
        assert k not in secd, "secd@.service has %s=" % k
    assert guard["KillMode"] == ["mixed"]
    assert guard["Restart"] == ["no"]
    assert guard["OOMPolicy"] == ["continue"]
    assert "--watchdog /dev/watchdog" in guard["ExecStart"][0]
    assert "--dir /var/lib/secluster" in guard["ExecStart"][0]


def test_man_pages_render_without_warnings(dest):
    groff = shutil.which("groff")
    if not groff:
        pytest.skip("groff is not installed (Debian package groff-base)")
    for page in MAN_PAGES:
        path = os.path.join(dest, page)
        r = run([groff, "-man", "-Tutf8", "-ww", "-z", path])
        assert (r.returncode, r.stdout + r.stderr) == (0, ""), page
        if shutil.which("man"):
            r = run(["man", "--warnings", "-l", path],
                     env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
            assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
            name = os.path.basename(page).rsplit(".", 1)[0].upper()
            assert r.stdout.startswith(name), (page, r.stdout[:80])


def test_man_pages_cover_every_command_and_key(dest):
    secd = os.path.join(BUILD_DIR, "src/secd/secd")
    doc = run([secd, "--config-doc"]).stdout
    keys = set(re.findall(r"^\| `([a-z_0-9]+)` \|", doc, re.M))
    assert len(keys) > 30, doc[:200]
    conf5 = open(os.path.join(dest, "share/man/man5/secd.conf.5")).read()
    missing = sorted(k for k in keys if not re.search(r"^\.BR %s " % k, conf5, re.M))
    assert missing == [], "secd.conf(5) lacks the keys %s" % missing
    sectl1 = open(os.path.join(dest, "share/man/man1/sectl.1")).read().replace("\\-", "-")
    missing = sorted(c for c in sectl_commands() if "sectl %s" % c not in sectl1)
    assert missing == [], "sectl(1) lacks the commands %s" % missing


# ---- the bash completion ----

def sectl_help(*args):
    r = run([os.path.join(BUILD_DIR, "src/sectl/sectl")] + list(args) + ["--help"])
    return r.stdout + r.stderr


def sectl_commands():
    return re.findall(r"^  ([a-z]+) ", sectl_help(), re.M)


def usages(cmd):
    """[(command, subcommands, options)] of every usage line of `sectl CMD --help`."""
    entries, common, cur = [], [], None
    for line in sectl_help(cmd).splitlines():
        m = re.match(r"\s*(?:usage:|or:)?\s*sectl (\S+)\s*(.*)", line)
        if m:
            cur = [m.group(1), m.group(2)]
            entries.append(cur)
        elif cur and re.match(r"\s+[\[-]", line):
            cur[1] += " " + line
        else:
            if line.startswith("each also takes"):
                common = options_in(line)
            cur = None
    out = []
    for c, rest in entries:
        first = rest.split(" ", 1)[0]
        subs = first.split("|") if re.fullmatch(r"[a-z][a-z|-]*", first) else []
        out.append((c, subs, options_in(rest) + common))
    return out


def options_in(text):
    return re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-v)\b", text)


def complete_all(comp, lines):
    """The COMPREPLY of _sectl for each command line in lines (a list of words; the last
    one is being typed), from one bash."""
    script = ["source %s" % shlex.quote(comp)]
    for words in lines:
        script.append("COMP_WORDS=(%s); COMP_CWORD=%d; _sectl; "
                      "printf '%%s\\n' \"${COMPREPLY[@]}\" @end"
                      % (" ".join(shlex.quote(w) for w in words), len(words) - 1))
    r = run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    replies = [[]]
    for x in r.stdout.split("\n")[:-1]:
        if x == "@end":
            replies.append([])
        elif x:
            replies[-1].append(x)
    assert len(replies) == len(lines) + 1, r.stdout
    return [sorted(x) for x in replies[:-1]]


def complete(comp, words):
    return complete_all(comp, [words])[0]


@pytest.fixture(scope="module")
def comp(dest):
    return os.path.join(dest, "share/bash-completion/completions/sectl")


def test_completion_of_a_few_prefixes(comp):
    assert complete(comp, ["sectl", "cl"]) == ["cluster", "clusters"]
    assert complete(comp, ["sectl", "crd", "f"]) == ["format"]
    assert complete(comp, ["sectl", "lab", "up", "--s"]) == [
        "--servers", "--sim-units", "--su-cluster", "--su-type", "--sus-per-server"]
    assert complete(comp, ["sectl", "lab", "up", "--profile", ""]) == ["lab", "test"]
    assert complete(comp, ["sectl", "unit", "add", "mu5", "--role", ""]) == ["mu", "su"]
    assert complete(comp, ["sectl", "crd", "format", "--role", "e"]) == ["external"]
    assert complete(comp, ["sectl", "events", "--weight", "W"]) == ["WARNING"]
    assert complete(comp, ["sectl", "vm", "lm-resolve", "G1", "--i"]) == ["--i-understand"]


def test_completion_offers_every_command_subcommand_and_option(comp):
    cmds = sectl_commands()
    assert len(cmds) >= 16
    assert complete(comp, ["sectl", ""]) == sorted(cmds + ["--help", "--version"])
    checks = []  # (command line, what it must offer)
    for cmd in cmds:
        for c, subs, opts in usages(cmd):
            checks += [(["sectl", c, sub[:1]], [sub]) for sub in subs]
            checks.append((["sectl", c] + subs[:1] + ["-"], opts))
    assert len(checks) > 40
    for (words, want), offered in zip(checks, complete_all(comp, [w for w, _ in checks])):
        missing = sorted(set(want) - set(offered))
        assert missing == [], "%s: not offered %s" % (" ".join(words), missing)


def test_every_subcommand_answers_help():
    """sectl(1): every command prints its usage with --help (stdout, exit 0), also the
    subcommands without a usage text of their own (`crd format`, `lab up` ...: the group's);
    the newcomer found four that answered 'unrecognized option' with exit 2."""
    sectl = os.path.join(BUILD_DIR, "src/sectl/sectl")
    bad = []
    for cmd in sectl_commands():
        for c, subs, _ in usages(cmd):
            for sub in subs or [None]:
                for flag in ("--help", "-h"):
                    argv = [sectl, c] + ([sub] if sub else []) + [flag]
                    r = run(argv)
                    if r.returncode != 0 or "usage:" not in r.stdout:
                        bad.append((" ".join(argv[1:]), r.returncode, r.stderr[:80]))
    assert bad == []


def test_daemons_answer_help(dest):
    """secd and sec-guard print their usage with --help/-h on stdout, exit 0 (a usage error
    stays exit 2 on stderr)."""
    for prog in ("sbin/secd", "sbin/sec-guard"):
        for flag in ("--help", "-h"):
            r = run([os.path.join(dest, prog), flag])
            assert r.returncode == 0 and r.stdout.startswith("usage: "), (prog, flag, r)
        r = run([os.path.join(dest, prog), "--bogus"])
        assert r.returncode == 2 and "usage: " in r.stderr, (prog, r)


def test_secd_check_reads_the_io_config(dest, tmp_path):
    """`secd -n` of an SU also reads its I/O configuration: the shipped example passes, a
    broken one is an error naming file:line:field (exit 2), a missing one a warning."""
    example = open(os.path.join(dest, "share/doc/secluster/secd.conf.example")).read()
    io = tmp_path / "io.conf"
    conf = tmp_path / "secd.conf"
    conf.write_text(re.sub(r"(?m)^\[su\]$", "[su]\nio_config = %s" % io, example, count=1))
    secd = os.path.join(dest, "sbin/secd")
    r = run([secd, "-n", "--config", str(conf)])
    assert r.returncode == 0 and "io_config '%s' does not exist yet" % io in r.stderr, r
    shutil.copy(os.path.join(dest, "share/doc/secluster/io.conf.example"), io)
    r = run([secd, "-n", "--config", str(conf)])
    assert r.returncode == 0 and "io_config" not in r.stderr, r.stderr
    io.write_text(io.read_text() + "ZZZ bogus\n")
    r = run([secd, "-n", "--config", str(conf)])
    assert r.returncode == 2 and "%s:15:" % io in r.stderr, r.stderr

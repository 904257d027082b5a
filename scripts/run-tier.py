#!/usr/bin/env python3
"""Runs one test tier and adds its counts to a tally file.

Usage: run-tier.py TALLY TIER TIMEOUT_S -- KIND ARGS...
  KIND meson BUILD_DIR SUITE   every meson test of SUITE, run directly with TAP output
                               (cmocka: CMOCKA_MESSAGE_OUTPUT=TAP); each TAP "ok" counts
  KIND pytest ARGS...          pytest (Debian's), counts from its summary line
  KIND cmd ARGS...             a program that prints its own "N passed, N failed" line

A tier that exceeds TIMEOUT_S is killed and counted as one failure. The tally file holds
lines "tier passed failed skipped seconds".
"""
import json, os, re, subprocess, sys, time

def run(cmd, timeout, env=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env, text=True, errors="replace")
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out += f"\nTIMEOUT after {timeout} s: {' '.join(cmd)}\n"
        rc = -1
    return out, rc, time.monotonic() - t0

def main():
    tally, tier, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    assert sys.argv[4] == "--"
    kind, args = sys.argv[5], sys.argv[6:]
    passed = failed = skipped = 0
    t0 = time.monotonic()
    deadline = t0 + timeout
    if kind == "meson":
        build, suite = args
        tests = json.loads(subprocess.check_output(["meson", "introspect", build, "--tests"]))
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
        for t in tests:
            if suite not in t["suite"] and f"secluster:{suite}" not in t["suite"]:
                continue
            left = deadline - time.monotonic()
            e = dict(env); e.update(t.get("env") or {})
            out, rc, dt = run(t["cmd"], max(left, 1), e)
            ok = len(re.findall(r"^ok \d+", out, re.M))
            bad = len(re.findall(r"^not ok \d+", out, re.M))
            if rc != 0 and bad == 0:
                bad = 1
            if bad:
                sys.stdout.write(out)
            print(f"  {tier}: {t['name']}: {ok} passed, {bad} failed ({dt:.1f} s)")
            passed += ok; failed += bad
    elif kind in ("pytest", "cmd"):
        cmd = (["pytest-3"] if kind == "pytest" else []) + args
        out, rc, dt = run(cmd, timeout)
        sys.stdout.write(out)
        if kind == "pytest":
            summ = out.strip().splitlines()[-1] if out.strip() else ""
            for n, word in re.findall(r"(\d+) (passed|failed|error|errors|skipped)", summ):
                if word == "passed": passed += int(n)
                elif word == "skipped": skipped += int(n)
                else: failed += int(n)
            if rc not in (0, 5) and failed == 0:
                failed = 1
        else:
            m = re.findall(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", out, re.M)
            if m:
                passed, failed, skipped = int(m[-1][0]), int(m[-1][1]), int(m[-1][2] or 0)
            if rc != 0 and failed == 0:
                failed = 1
    else:
        sys.exit(f"run-tier: unknown kind {kind}")
    dt = time.monotonic() - t0
    with open(tally, "a") as f:
        f.write(f"{tier} {passed} {failed} {skipped} {dt:.1f}\n")
    print(f"tier {tier}: {passed} passed, {failed} failed, {skipped} skipped in {dt:.1f} s")

if __name__ == "__main__":
    main()

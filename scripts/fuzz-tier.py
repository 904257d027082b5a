#!/usr/bin/env python3
"""The fuzz tier (testing.md): runs every libFuzzer target of build-fuzz for a fixed time.

Usage: fuzz-tier.py BUILD_DIR [SECONDS_PER_TARGET]   (default 9 s; env FUZZ_JOBS, default 2)

The seed corpus is generated into a temporary directory by BUILD_DIR/tests/fuzz/fuzz-seeds
(valid blocks and JSON from the encoders) and removed afterwards; nothing is committed.
A target that runs its time without a crash counts as one pass; a crash, a sanitizer report
or a failed contract check (fuzz.h) as one failure, with libFuzzer's output and the crashing
input (kept under build-fuzz/fuzz-crashes/) printed. Ends with "N passed, N failed".
Targets run FUZZ_JOBS at a time, so the tier takes about 4 x SECONDS for 8 targets on 2 cores.
"""
import os, shutil, subprocess, sys, tempfile, time

TARGETS = ["sb", "slot", "lease", "region_hdr", "owner_json", "hbmsg", "global", "guardmsg",
           "sdf", "su_unit"]

def main():
    build = sys.argv[1]
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    jobs = int(os.environ.get("FUZZ_JOBS", "2"))
    fdir = os.path.join(build, "tests", "fuzz")
    crashes = os.path.abspath(os.path.join(build, "fuzz-crashes"))
    os.makedirs(crashes, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="sec-fuzz-")
    passed = failed = 0
    try:
        subprocess.run([os.path.join(fdir, "fuzz-seeds"), tmp], check=True)
        pending = list(TARGETS)
        running = []  # (name, Popen, logfile, t0)
        while pending or running:
            while pending and len(running) < jobs:
                name = pending.pop(0)
                exe = os.path.join(fdir, "fuzz_" + name)
                corpus = os.path.join(tmp, name)
                log = open(os.path.join(tmp, name + ".log"), "w+")
                # the seed corpus dir is also where new inputs go (it is temporary)
                cmd = [exe, f"-max_total_time={secs}", "-timeout=10", "-rss_limit_mb=2048",
                       "-max_len=8192", "-print_final_stats=1",
                       f"-artifact_prefix={crashes}/{name}-", corpus]
                env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
                p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
                running.append((name, p, log, time.monotonic()))
            for item in list(running):
                name, p, log, t0 = item
                try:
                    rc = p.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    if time.monotonic() - t0 > secs + 30:
                        p.kill()
                        p.wait()
                        rc = "hung"
                    else:
                        continue
                running.remove(item)
                log.seek(0)
                out = log.read()
                log.close()
                runs = [l for l in out.splitlines() if l.startswith("stat::number_of_executed_units")]
                execs = runs[-1].split(":")[-1].strip() if runs else "?"
                dt = time.monotonic() - t0
                if rc == 0:
                    passed += 1
                    print(f"  fuzz: {name}: ok, {execs} runs in {dt:.1f} s")
                else:
                    failed += 1
                    sys.stdout.write(out[-6000:])
                    print(f"  fuzz: {name}: FAILED (exit {rc}) after {dt:.1f} s; "
                          f"reproducer under {crashes}/{name}-*")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()

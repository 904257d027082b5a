#!/usr/bin/env python3
"""test_layout.py — docs/crd-format.md, checked by an independent encoder: writes a slot,
the lease block and a region copy with the documented offsets (Python struct + its own
CRC32C) onto a freshly formatted disk, and asserts what `sectl crd inspect --json` shows.
Prints TAP. SECTL names the binary."""
import json, os, shutil, struct, subprocess, sys, tempfile

def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xffffffff

def seal(rec):
    blk = rec + bytes(4092 - len(rec))
    return blk + struct.pack("<I", crc32c(blk))

def main():
    sectl = os.environ["SECTL"]
    d = tempfile.mkdtemp(prefix="test_layout.")
    results = []
    try:
        disk = os.path.join(d, "d1.crd")
        cid = "6b1c2f5e-8d1a-4c39-9f0e-2a7d3b4c5e6f"
        subprocess.run([sectl, "crd", "format", "--cluster-id", cid, "--role", "external",
                        "--size", "8M", "--region0-size", "8K", "--unit-region-size", "8K",
                        disk], check=True, stdout=subprocess.DEVNULL)
        ident = bytes(range(16))
        slot = struct.pack("<QIIII16s16sQQQI8II", 0x544c535f44524353, 1, 7, 2, 2, ident,
                           bytes(16), 0xfeed000000000001, 4711, 0, 1,
                           500, 400, 400, 2000, 800, 4000, 1000, 10000, 0)
        lease = struct.pack("<QIIQQQII", 0x534c4c5f44524353, 1, 3, 0x42, 0, 5, 2000, 1)
        payload = b'{"k":1}'
        hdr = struct.pack("<QIIIIQQQQ", 0x4752525f44524353, 1, 7, 7, crc32c(payload), 0x42,
                          5, 9, len(payload))
        # region 7 copy B: 2 MiB + 2 x 8 KiB + 6 x 2 x 8 KiB + 8 KiB
        r7b = (2 << 20) + 2 * 8192 + 6 * 2 * 8192 + 8192
        with open(disk, "r+b") as f:
            f.seek(65536 + 6 * 4096); f.write(seal(slot))
            f.seek(8192); f.write(seal(lease))
            f.seek(r7b); f.write(seal(hdr)); f.write(payload)
        out = subprocess.run([sectl, "crd", "inspect", "--json", disk], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        j = json.loads(out)
        s = j["slots"][0]
        results.append(("slot at 64 KiB + 6 x 4 KiB is unit 7",
                        s["unit"] == 7 and s["state"] == "ok" and s["role"] == "SU"))
        results.append(("slot fields", s["unit_state"] == "RESTARTING" and s["counter"] == 4711
                        and s["incarnation"] == "feed000000000001" and s["fencing"] == "self"
                        and s["dead_bound_ms"] == 4000 + 1000 + 800 + 400))
        l = j["lease"]
        results.append(("lease block", l["state"] == "ok" and l["holder"] == 3 and
                        l["term"] == 5 and l["released"] is True and l["lease_ms"] == 2000))
        r = j["regions"][0]
        results.append(("region 7 copy B", r["region"] == 7 and r["current"] == "B" and
                        r["copies"][1]["offset"] == r7b and r["copies"][1]["state"] == "ok" and
                        r["copies"][1]["generation"] == 9 and r["copies"][0]["state"] == "empty"))
        ok = subprocess.run([sectl, "crd", "verify", disk], stdout=subprocess.DEVNULL).returncode
        results.append(("verify accepts the hand-written blocks", ok == 0))
    finally:
        shutil.rmtree(d)
    print(f"1..{len(results)}")
    for i, (name, good) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {name}")
    return 0 if all(g for _, g in results) else 1

sys.exit(main())

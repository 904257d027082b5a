#!/usr/bin/env python3
"""Oracles for the demo guest (guest/README.md; design/testing.md "Oracles").

Console: the `GUEST ...` lines of one guest's serial logs, given in time order (an LM
source's log, then the target's: a line the switch-over split between them is joined).
Ring: the marker ring on the guest's marker disk (a raw file).

    import guestcheck as gc
    boots = gc.parse_console(gc.read_logs([src_log, dst_log]))
    errs = gc.check_console(boots)          # [] when every check holds
    ring = gc.read_ring("A001.img")
    errs = gc.check_ring(ring)              # [] when every check holds
    gc.runs(ring)                           # [(boot_id, first n, last n), ...] in ring order

CLI: `guestcheck.py console LOG... | ring DISK [--json]`; exit 0 when all checks hold, 1
when one fails (each failure printed on its own line), 2 on bad usage or unreadable input.
The module also writes rings (make_record, write_ring) so tests can craft bad ones.
"""
import argparse, json, re, struct, sys

SECTOR = 512
RING_FIRST, RING_LEN = 1, 256
HDR_MAGIC, REC_MAGIC = b"SECGHDR1", b"SECGREC1"
HDR_FMT = "<8sIIIIQ"          # magic, version, ring_first, ring_len, boots, last_boot_id; crc at 32
REC_FMT = "<8sQQQII"          # magic, boot_id, counter, nonce, prev, flags; crc at 40
HDR_CRC_OFF, REC_CRC_OFF = 32, 40
assert struct.calcsize(HDR_FMT) == HDR_CRC_OFF and struct.calcsize(REC_FMT) == REC_CRC_OFF

READY_RE = re.compile(r"GUEST READY boot=([0-9a-f]{16}) mem=(\d+) marker=(\S+)")
REPORT_RE = re.compile(r"GUEST n=(\d+) check=(ok|BAD)\b(.*)")
PANIC_RE = re.compile(r"GUEST PANIC (.*)")


def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC = _crc_table()


def crc32c(data):
    """CRC32C (Castagnoli) as the guest computes it: init ~0, reflected, final ~."""
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---------------------------------------------------------------------------- console

def read_logs(paths):
    """The logs' text joined in the given order (bytes decoded leniently). Joining without a
    separator is what rejoins a line that a migration split between two logs."""
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(f.read().decode("utf-8", "replace"))
    return "".join(out)


def parse_console(text):
    """Boots seen in console text: a list of dicts {"boot": hex id, "mem": MiB, "marker":
    MN or "none", "reports": [(n, ok, rest of line), ...], "panics": [text, ...]}. Reports before any READY line
    go to a boot with "boot": None. Only complete lines count: an unterminated last line is
    still being written. Lines that are not GUEST lines are ignored."""
    boots = []
    cur = None
    lines = text.split("\n")
    for line in lines[:-1]:            # the last element has no "\n" after it
        m = READY_RE.search(line)
        if m:
            cur = {"boot": m.group(1), "mem": int(m.group(2)), "marker": m.group(3),
                   "reports": [], "panics": []}
            boots.append(cur)
            continue
        m = REPORT_RE.search(line)
        p = PANIC_RE.search(line)
        if (m or p) and cur is None:
            cur = {"boot": None, "mem": None, "marker": None, "reports": [], "panics": []}
            boots.append(cur)
        if m:
            cur["reports"].append((int(m.group(1)), m.group(2) == "ok", m.group(3).strip()))
        elif p:
            cur["panics"].append(p.group(1).strip())
    return boots


def last_report(boots):
    """(n, ok) of the last report line, or None."""
    for b in reversed(boots):
        if b["reports"]:
            n, ok, _ = b["reports"][-1]
            return n, ok
    return None


def check_console(boots):
    """Errors (strings) of parsed console boots: every report check=ok; no PANIC; within a
    boot n grows by exactly 1 per line; no boot id READY twice (a second READY of one id would be
    a rollback or a second instance writing into the same log)."""
    errs = []
    seen = set()
    for b in boots:
        bid = b["boot"] or "(before READY)"
        if b["boot"] is not None:
            if b["boot"] in seen:
                errs.append(f"boot {bid}: READY seen twice")
            seen.add(b["boot"])
        for p in b["panics"]:
            errs.append(f"boot {bid}: PANIC {p}")
        prev = None
        for n, ok, rest in b["reports"]:
            if not ok:
                errs.append(f"boot {bid}: n={n} check=BAD {rest}".rstrip())
            if prev is not None and n != prev + 1:
                what = "goes backwards" if n <= prev else "skips"
                errs.append(f"boot {bid}: counter {what}: n={n} after n={prev}")
            prev = n
    return errs


# ---------------------------------------------------------------------------- ring

def make_record(boot_id, counter, prev=0, ok=True, nonce=0):
    """The 512-byte sector of one ring record (README.md layout); boot_id an int."""
    body = struct.pack(REC_FMT, REC_MAGIC, boot_id, counter, nonce, prev, 1 if ok else 0)
    return (body + struct.pack("<I", crc32c(body))).ljust(SECTOR, b"\0")


def make_header(boots=1, last_boot_id=0):
    body = struct.pack(HDR_FMT, HDR_MAGIC, 1, RING_FIRST, RING_LEN, boots, last_boot_id)
    return (body + struct.pack("<I", crc32c(body))).ljust(SECTOR, b"\0")


def record_crc(sector):
    return struct.unpack_from("<I", sector, REC_CRC_OFF)[0]


def write_ring(path, records, size=1 << 20):
    """Writes a raw disk of size bytes: a header and records [(boot_id, counter, ok), ...]
    in the order given, each in the slot of its counter, chained by prev as the guest does
    (each record's prev is the crc of the record written before it). For crafted rings."""
    disk = bytearray(size)
    disk[0:SECTOR] = make_header(len({r[0] for r in records}), records[-1][0] if records else 0)
    prev = 0
    for i, (boot_id, counter, ok) in enumerate(records):
        sec = make_record(boot_id, counter, prev, ok, nonce=i + 1)
        slot = RING_FIRST + counter % RING_LEN
        disk[slot * SECTOR:(slot + 1) * SECTOR] = sec
        prev = record_crc(sec)
    with open(path, "wb") as f:
        f.write(disk)


def read_ring(path):
    """The marker ring of a raw disk file: {"header": dict or None, "slots": [entry or None
    for each ring sector]}, entry = {"slot", "boot" (16 hex), "counter", "nonce", "prev",
    "ok", "crc", "valid" (magic and crc right), "in_slot" (counter belongs there)}. An
    all-zero sector is None; a sector with another magic counts as invalid."""
    with open(path, "rb") as f:
        data = f.read((RING_FIRST + RING_LEN) * SECTOR)
    if len(data) < (RING_FIRST + RING_LEN) * SECTOR:
        raise ValueError(f"{path}: {len(data)} bytes, a marker disk has at least "
                         f"{(RING_FIRST + RING_LEN) * SECTOR}")
    hdr = None
    h = data[:SECTOR]
    if h[:8] == HDR_MAGIC and crc32c(h[:HDR_CRC_OFF]) == struct.unpack_from("<I", h, HDR_CRC_OFF)[0]:
        _, ver, first, length, boots, last = struct.unpack_from(HDR_FMT, h)
        hdr = {"version": ver, "ring_first": first, "ring_len": length, "boots": boots,
               "last_boot": f"{last:016x}"}
    slots = []
    for i in range(RING_LEN):
        slot = RING_FIRST + i
        s = data[slot * SECTOR:(slot + 1) * SECTOR]
        if not any(s):
            slots.append(None)
            continue
        magic, boot, counter, nonce, prev, flags = struct.unpack_from(REC_FMT, s)
        crc = record_crc(s)
        valid = magic == REC_MAGIC and crc32c(s[:REC_CRC_OFF]) == crc
        slots.append({"slot": slot, "boot": f"{boot:016x}", "counter": counter, "nonce": nonce,
                      "prev": prev, "ok": bool(flags & 1), "crc": crc, "valid": valid,
                      "in_slot": RING_FIRST + counter % RING_LEN == slot})
    return {"header": hdr, "slots": slots}


def ring_order(ring):
    """The valid records in ring order: circularly, starting after the slot of the highest
    counter (so the oldest record comes first)."""
    recs = [r for r in ring["slots"] if r and r["valid"]]
    if not recs:
        return []
    top = max(recs, key=lambda r: r["counter"])["slot"] - RING_FIRST
    order = []
    for k in range(1, RING_LEN + 1):
        r = ring["slots"][(top + k) % RING_LEN]
        if r and r["valid"]:
            order.append(r)
    return order


def runs(ring):
    """Boot-id runs in ring order: [(boot id, first counter, last counter), ...]."""
    out = []
    for r in ring_order(ring):
        if out and out[-1][0] == r["boot"]:
            out[-1] = (r["boot"], out[-1][1], r["counter"])
        else:
            out.append((r["boot"], r["counter"], r["counter"]))
    return out


def check_ring(ring):
    """Errors (strings) of a read ring (the oracle of testing.md): records valid and in
    their slots; in ring order counters strictly increase by 1; each record's prev is the crc
    of the record before it (else two writers or a rollback); boot ids form contiguous runs
    (never A B A); every record says check ok; the header is there."""
    errs = []
    if ring["header"] is None:
        errs.append("header: missing or bad crc")
    for r in ring["slots"]:
        if r is None:
            continue
        if not r["valid"]:
            errs.append(f"slot {r['slot']}: not a valid record (magic or crc)")
        elif not r["in_slot"]:
            errs.append(f"slot {r['slot']}: counter {r['counter']} does not belong in it")
    order = ring_order(ring)
    for a, b in zip(order, order[1:]):
        if b["counter"] <= a["counter"]:
            errs.append(f"slot {b['slot']}: counter goes backwards: {b['counter']} (boot "
                        f"{b['boot']}) after {a['counter']} (boot {a['boot']})")
        elif b["counter"] != a["counter"] + 1:
            errs.append(f"slot {b['slot']}: counter skips: {b['counter']} after {a['counter']}")
        elif b["prev"] != a["crc"]:
            errs.append(f"slot {b['slot']}: chain break: n={b['counter']} (boot {b['boot']}) "
                        f"was not written after n={a['counter']} (boot {a['boot']}) on disk: "
                        f"a second writer or a rollback")
    seen = set()
    for bid, first, last in runs(ring):
        if bid in seen:
            errs.append(f"boot ids interleave: boot {bid} again at n={first}..{last} after "
                        f"another boot (A B A)")
        seen.add(bid)
    for r in order:
        if not r["ok"]:
            errs.append(f"slot {r['slot']}: n={r['counter']} (boot {r['boot']}) says check=BAD")
    return errs


# ---------------------------------------------------------------------------- CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description="check the demo guest's console logs or marker ring")
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("console", help="console logs of one guest, in time order")
    c.add_argument("logs", nargs="+")
    r = sub.add_parser("ring", help="a marker disk (raw file)")
    r.add_argument("disk")
    for p in (c, r):
        p.add_argument("--json", action="store_true", help="print a JSON summary")
    a = ap.parse_args(argv)
    try:
        if a.what == "console":
            boots = parse_console(read_logs(a.logs))
            errs = check_console(boots)
            summary = {"boots": [{"boot": b["boot"], "reports": len(b["reports"]),
                                  "first": b["reports"][0][0] if b["reports"] else None,
                                  "last": b["reports"][-1][0] if b["reports"] else None}
                                 for b in boots], "errors": errs}
        else:
            ring = read_ring(a.disk)
            errs = check_ring(ring)
            summary = {"header": ring["header"],
                       "runs": [{"boot": b, "first": f, "last": l} for b, f, l in runs(ring)],
                       "errors": errs}
    except (OSError, ValueError) as e:
        print(f"guestcheck: {e}", file=sys.stderr)
        return 2
    if a.json:
        print(json.dumps(summary, indent=1))
    else:
        for k in summary.get("boots", []) + summary.get("runs", []):
            print(" ".join(f"{x}={y}" for x, y in k.items()))
        for e in errs:
            print(f"FAIL {e}")
        print("ok" if not errs else f"{len(errs)} failed")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())

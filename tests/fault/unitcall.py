"""A unit-signed call from a test (src/auth/unitmsg.h): X-Sec-Unit and X-Sec-Auth computed as
unitmsg.c mac_compute() does — HMAC-SHA-512/256 with the cluster key over the domain string
(with its NUL), method and path (each length-prefixed, 32-bit little-endian), BLAKE2b-256
of the body, sender unit, incarnation, sequence number and receiver unit (64-bit
little-endian).

A test signs as a unit id of its own that is in no topology (a sender the receiver has
never seen): signing as a real unit with another incarnation would retire that unit's
running incarnation at the receiver, whose own calls would then be refused."""
import hashlib, hmac, json, os, struct, urllib.error, urllib.request

DOMAIN = b"secluster unit call v1\0"


def read_key(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


class UnitCaller:
    def __init__(self, key, unit):
        self.key, self.unit = key, unit
        self.incarnation = int.from_bytes(os.urandom(8), "little") | 1
        self.seq = 0

    def headers(self, to, method, path, body):
        self.seq += 1
        m = hmac.new(self.key, digestmod=hashlib.sha512)
        m.update(DOMAIN)
        for s in (method.encode(), path.encode()):
            m.update(struct.pack("<I", len(s)) + s)
        m.update(hashlib.blake2b(body, digest_size=32).digest())
        m.update(struct.pack("<QQQQ", self.unit, self.incarnation, self.seq, to))
        return {"X-Sec-Unit": f"{self.unit};{self.incarnation:016x};{self.seq}",
                "X-Sec-Auth": m.digest()[:32].hex()}

    def call(self, unit, method, path, body=None, timeout=15):
        """(HTTP status, JSON answer) of one signed call to unit (a row of `lab status`)."""
        data = json.dumps(body).encode() if body is not None else b""
        h = {"Content-Type": "application/json",
             **self.headers(unit["unit_id"], method, path, data)}
        req = urllib.request.Request(f"http://{unit['api']}{path}", data=data, method=method,
                                     headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

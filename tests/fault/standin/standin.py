"""A stand-in for sec-guard and sec-fakewd in the lab tests when src/guard is not built (see
tests/fault/lab.py guard_env): it binds the socket the real one would (sec-guard: DIR/guard.sock
of --dir DIR; sec-fakewd: --socket PATH) and waits for a signal. It speaks no protocol: it
proves the lab's process handling (start order, PIDs, kill --only, down), nothing more."""
import signal, socket, sys

args = sys.argv[1:]
path = None
for i, a in enumerate(args[:-1]):
    if a == "--dir":
        path = args[i + 1] + "/guard.sock"
    elif a == "--socket":
        path = args[i + 1]
if not path:
    sys.exit("stand-in: needs --dir DIR or --socket PATH")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(f"stand-in {sys.argv[0]} listening on {path}", flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    signal.pause()

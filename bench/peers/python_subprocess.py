"""Python peer: subprocess (see common.mjs in this folder for the contract).

    python3 python_subprocess.py MODE N HEAP_MB BUDGET_MS
"""
import re
import subprocess
import sys
import time

NOBODY = 65534
CHUNK = 64 << 20
PAGE = 4096
DROP = {"user": NOBODY, "group": NOBODY, "extra_groups": []}


def fail(msg):
    sys.stderr.write(f"python peer: {msg}\n")
    sys.exit(1)


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def grow_heap(mb):
    held = []
    while status_kb("VmRSS") < mb * 1024:
        b = bytearray(CHUNK)  # calloc'd: untouched until written
        b[::PAGE] = b"\x01" * (CHUNK // PAGE)
        held.append(b)
    return held


def capture(argv, drop):
    r = subprocess.run(argv, capture_output=True, **(DROP if drop else {}))
    if r.returncode != 0:
        fail(f"{argv}: exit {r.returncode}")
    return r.stdout.decode()


def verify_drop(status):
    ok = (re.search(r"^Uid:\t65534\t65534\t65534\t65534$", status, re.M)
          and re.search(r"^Gid:\t65534\t65534\t65534\t65534$", status, re.M)
          and re.search(r"^Groups:[ \t]*$", status, re.M))
    if not ok:
        fail(f"drop not applied; the child's status:\n{status}")


def main():
    if len(sys.argv) < 5:
        fail("usage: python_subprocess.py seq|drop|conc|capture N HEAP_MB BUDGET_MS")
    mode, n, heap_mb, budget_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    budget = budget_ms * 1_000_000
    drop = mode == "drop"
    held = grow_heap(heap_mb)
    rss = status_kb("VmRSS")
    if drop:
        verify_drop(capture(["/bin/cat", "/proc/self/status"], True))
    now = time.perf_counter_ns
    times = []
    if mode == "conc":
        t0 = now()
        children = [subprocess.Popen(["/bin/true"]) for _ in range(n)]
        if any(c.wait() != 0 for c in children):
            fail("a child failed")
        total = now() - t0
        times.append(total)
        done = n
    elif mode in ("seq", "drop", "capture"):
        if mode == "capture":
            def once():
                out = capture(["/bin/echo", "hello"], False)
                if out != "hello\n":
                    fail(f"unexpected output {out!r}")
        else:
            kwargs = DROP if drop else {}

            def once():
                if subprocess.run(["/bin/true"], **kwargs).returncode != 0:
                    fail("/bin/true failed")
        w0 = now()
        i = 0
        while i < 10 and now() - w0 < budget // 4:
            once()
            i += 1
        t0 = now()
        while len(times) < n:
            a = now()
            once()
            b = now()
            times.append(b - a)
            if b - t0 > budget and len(times) >= 3:
                break
        total = now() - t0
        done = len(times)
    else:
        fail(f"unknown mode {mode}")
    times.sort()
    print(f'{{"mode":"{mode}","n":{done},"totalNs":{total},"medianNs":{times[len(times) // 2]},'
          f'"rssKb":{rss},"hwmKb":{status_kb("VmHWM")}}}')
    del held


main()

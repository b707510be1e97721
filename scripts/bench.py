#!/usr/bin/env python3
"""`make bench`, start-up part: ocirun side by side with runc and crun, Debian 12's (1.1.5,
1.8.1) and unstable's (1.3.6, 1.28, scripts/sid-peer.sh), on the same bundle, in one run, the
runtimes taking turns each round so that the machine's load hits all alike. Per runtime,
medians of:

  run      `run` of /bin/true (create + start + wait + delete)
  create, start, state, delete   separately, on a container whose process is /bin/true
  exec     `exec` of /bin/true into a running container
and for each command its page faults and CPU time (from wait4: the command and every process
it reaped, the container's init included), the peak RSS of create itself, 50 containers created
and started concurrently (total time, failures), and the binary's size.

Prints a table with the ratios ocirun/peer, writes OUT/results.json and OUT/ratios.svg (a
bar chart of those ratios). usage: bench.py OCIRUN ROOTFS [--rounds N] [--concurrent N] [--out DIR]
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

COMMANDS = ["run", "create", "start", "state", "delete", "exec"]


def runtimes(ocirun):
    found = [("ocirun", ocirun)]
    # Debian 12's runc and crun, and unstable's (scripts/sid-peer.sh) in private prefixes.
    for name, path in [("runc-1.1", shutil.which("runc")), ("runc-1.3", "/opt/ocirun/runc13/runc"),
                       ("crun-1.8", shutil.which("crun")), ("crun-1.28", "/opt/ocirun/crun128/crun")]:
        if path and os.path.exists(path):
            found.append((name, path))
    return found


def timed(argv):
    """Runs argv; returns (wall ms, page faults, CPU ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.read().decode().strip()}")
    proc.stderr.close()
    return (wall, usage.ru_minflt + usage.ru_majflt, (usage.ru_utime + usage.ru_stime) * 1000)


def peak_rss(argv):
    """The command's own peak RSS in KiB: VmHWM of its address space, read until it exits
    (wait4's ru_maxrss would report this script's size, recorded when the child exec'd)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.0005)
    return peak


def make_bundle(ocirun, rootfs, work, name, args):
    bundle = os.path.join(work, name)
    os.makedirs(bundle)
    subprocess.run([ocirun, "spec", "--bundle", bundle], check=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        spec = json.load(f)
    spec["ociVersion"] = "1.0.2"  # what every peer here reads
    spec["process"]["terminal"] = False
    spec["process"]["args"] = args
    spec["root"]["path"] = rootfs  # one read-only rootfs for every container
    with open(path, "w") as f:
        json.dump(spec, f)
    return bundle


def one_round(name, binary, root, true_bundle, sleep_bundle, i, samples):
    rt = [binary, "--root", root]
    tag = "bench-" + name  # ids (and so default cgroups) of its own per runtime
    add = lambda cmd, m: samples[name][cmd].append(m)
    add("run", timed(rt + ["run", "--bundle", true_bundle, f"{tag}-r{i}"]))
    add("create", timed(rt + ["create", "--bundle", true_bundle, f"{tag}-c{i}"]))
    add("state", timed(rt + ["state", f"{tag}-c{i}"]))
    add("start", timed(rt + ["start", f"{tag}-c{i}"]))
    for _ in range(200):  # /bin/true exits at once; delete wants it stopped
        out = subprocess.run(rt + ["state", f"{tag}-c{i}"], capture_output=True, text=True).stdout
        if '"stopped"' in out:
            break
        time.sleep(0.005)
    add("delete", timed(rt + ["delete", f"{tag}-c{i}"]))
    add("exec", timed(rt + ["exec", f"{tag}-s0", "/bin/true"]))


def concurrent_starts(name, binary, root, bundle, n):
    """n containers created and started at once (`run -d`): total time, failures."""
    def one(k):
        try:
            timed([binary, "--root", root, "run", "-d", "--bundle", bundle, f"bench-{name}-p{k}"])
            return True
        except RuntimeError:
            return False
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        ok = list(pool.map(one, range(n)))
    total = (time.perf_counter() - start) * 1000
    for k in range(n):
        subprocess.run([binary, "--root", root, "delete", "--force", f"bench-{name}-p{k}"], capture_output=True)
    return total, ok.count(False)


def svg(ratios, title):
    """Horizontal bars of ocirun/peer ratios (1 = as fast, below 1 = ocirun faster)."""
    rows = [(f"{cmd} vs {peer}", r) for (cmd, peer), r in ratios.items()]
    width, bar_h, left, top = 640, 18, 190, 40
    scale = (width - left - 40) / max(2.0, max(r for _, r in rows))
    h = top + len(rows) * (bar_h + 6) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="14">{title}</text>']
    x1 = left + scale
    out.append(f'<line x1="{x1:.0f}" y1="{top - 6}" x2="{x1:.0f}" y2="{h - 24}" stroke="#555" stroke-dasharray="4,3"/>')
    out.append(f'<text x="{x1 - 4:.0f}" y="{h - 10}">1.0</text>')
    for k, (label, r) in enumerate(rows):
        y = top + k * (bar_h + 6)
        colour = "#2a9d8f" if r <= 1 else "#e76f51"
        out.append(f'<text x="10" y="{y + 13}">{label}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{r * scale:.1f}" height="{bar_h}" fill="{colour}"/>')
        out.append(f'<text x="{left + r * scale + 4:.1f}" y="{y + 13}">{r:.2f}x</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ocirun")
    ap.add_argument("rootfs")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_N", "30")))
    ap.add_argument("--concurrent", type=int, default=50)
    ap.add_argument("--out", default="bench")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ocirun-bench.")
    roots = {}
    rts = runtimes(os.path.abspath(a.ocirun))
    try:
        true_bundle = make_bundle(a.ocirun, os.path.abspath(a.rootfs), work, "true", ["/bin/true"])
        sleep_bundle = make_bundle(a.ocirun, os.path.abspath(a.rootfs), work, "sleep", ["/bin/sleep", "600"])
        samples = {name: {cmd: [] for cmd in COMMANDS} for name, _ in rts}
        for name, binary in rts:
            roots[name] = (binary, os.path.join(work, "root-" + name))
            timed([binary, "--root", roots[name][1], "run", "--bundle", true_bundle, f"bench-{name}-warm"])  # page cache, first-run costs
            timed([binary, "--root", roots[name][1], "run", "-d", "--bundle", sleep_bundle, f"bench-{name}-s0"])
        for i in range(a.rounds):
            for name, binary in rts:
                one_round(name, binary, roots[name][1], true_bundle, sleep_bundle, i, samples)
        for name, binary in rts:
            subprocess.run([binary, "--root", roots[name][1], "delete", "--force", f"bench-{name}-s0"], capture_output=True)
        rss = {}
        for name, binary in rts:
            rss[name] = max(peak_rss([binary, "--root", roots[name][1], "create", "--bundle", true_bundle, f"bench-{name}-m{k}"])
                            for k in range(3))
        burst = {}
        for name, binary in rts:
            burst[name] = concurrent_starts(name, binary, roots[name][1], sleep_bundle, a.concurrent)
    finally:
        for name, (binary, root) in roots.items():
            if os.path.isdir(root):
                for cid in os.listdir(root):
                    subprocess.run([binary, "--root", root, "delete", "--force", cid], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    med = lambda xs, k: statistics.median(x[k] for x in xs)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()}, Linux {platform.release()}, {os.cpu_count()} CPUs",
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "rounds": a.rounds,
        "runtimes": {},
    }
    for name, binary in rts:
        r = results["runtimes"][name] = {"binary": binary, "size_bytes": os.path.getsize(os.path.realpath(binary))}
        for cmd in COMMANDS:
            xs = samples[name][cmd]
            r[cmd] = {"ms": round(med(xs, 0), 2), "page_faults": int(med(xs, 1)), "cpu_ms": round(med(xs, 2), 2)}
        r["create"]["peak_rss_kib"] = rss[name]
        r["concurrent"] = {"containers": a.concurrent, "total_ms": round(burst[name][0], 1), "failures": burst[name][1]}
    ours = results["runtimes"]["ocirun"]
    ratios = {}
    for name, _ in rts[1:]:
        peer = results["runtimes"][name]
        for cmd in COMMANDS:
            ratios[(cmd, name)] = ours[cmd]["ms"] / peer[cmd]["ms"]
        ratios[("run faults", name)] = ours["run"]["page_faults"] / peer["run"]["page_faults"]
        ratios[("50 at once", name)] = ours["concurrent"]["total_ms"] / peer["concurrent"]["total_ms"]
    results["ratios"] = {f"{cmd} vs {peer}": round(r, 3) for (cmd, peer), r in ratios.items()}

    names = [n for n, _ in rts]
    print(f"{'':22}" + "".join(f"{n:>12}" for n in names))
    for cmd in COMMANDS:
        print(f"{cmd + ' ms':22}" + "".join(f"{results['runtimes'][n][cmd]['ms']:>12.1f}" for n in names))
        print(f"{cmd + ' faults':22}" + "".join(f"{results['runtimes'][n][cmd]['page_faults']:>12}" for n in names))
        print(f"{cmd + ' cpu ms':22}" + "".join(f"{results['runtimes'][n][cmd]['cpu_ms']:>12.1f}" for n in names))
    print(f"{'create peak RSS KiB':22}" + "".join(f"{results['runtimes'][n]['create']['peak_rss_kib']:>12}" for n in names))
    print(f"{f'{a.concurrent} at once ms':22}" + "".join(f"{results['runtimes'][n]['concurrent']['total_ms']:>12.0f}" for n in names))
    print(f"{f'{a.concurrent} at once failed':22}" + "".join(f"{results['runtimes'][n]['concurrent']['failures']:>12}" for n in names))
    print(f"{'binary bytes':22}" + "".join(f"{results['runtimes'][n]['size_bytes']:>12}" for n in names))
    print("ratios ocirun/peer (median time; below 1: ocirun faster):")
    for key, r in results["ratios"].items():
        print(f"  {key:28} {r:.2f}x")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(a.out, "ratios.svg"), "w") as f:
        f.write(svg(ratios, f"ocirun / peer, median of {a.rounds} rounds, {results['date'][:10]}, {results['machine']}"))
    print(f"wrote {a.out}/results.json and {a.out}/ratios.svg ({a.rounds} rounds)")


if __name__ == "__main__":
    main()

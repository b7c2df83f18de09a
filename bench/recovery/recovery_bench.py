#!/usr/bin/env python3
"""recovery_bench.py: what ARG recovery costs and how fast it is, on real daemons on loopback.

    python3 bench/recovery/recovery_bench.py [--build build] [--trials 20] [--soak-cycles 100]
        [--parts overhead,recovery,soak] [--output bench/results/recovery.md]

(a) overhead: the 3-node image-analysis-simulated graph with `recovery` on and off, closed
    loops of `hogar load` at concurrency 1, 8 and 64 against node1; the two settings take
    turns (--rounds), and each setting's p50/p99 is the median over its rounds.
(b) recovery: --trials times each, a fresh 3-node cluster, open-loop load (200/s) at a node
    that stays up, kill -9 at 1 s of the node hosting (stateless) the most replicas, or
    (stateful) the primary of the `sequence` operator of a counter graph. From the kill to:
    detection and the replacement wired in (the supervisor's recovery records, wall clock),
    and until every request in flight at the kill was answered (the client's per-request
    rows); the latency (max, p99) of those requests; failed requests.
(c) soak: --soak-cycles fault cycles on one cluster, each under its own open-loop load at
    node1 of both graphs: kill -9 of node2 or node3 and a restart, SIGSTOP 2 s then SIGCONT,
    SIGTERM and a restart, in turn. Totals of requests, failures, the counter's answers
    (exactly 1..N?), and the replica count at the end.

Writes markdown with the command, the machine's CPU model and the date to --output.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE_GRAPH = ROOT / "config/graphs/image-analysis-simulated.yaml"
COUNTER_GRAPH = """graph: counter
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: pre, kind: identity, inputs: [x]}
  - {name: seq, kind: sequence, inputs: [pre]}
outputs: [{name: n, from: seq}]
"""
COUNTER_BODY = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1],
                                       "data": [1]}]}).encode()


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return time.time() * 1000.0


class Cluster:
    """N hogard processes on loopback; node1 is the seed of the others."""

    def __init__(self, build, size=3, extra=(), logdir=None):
        self.build = Path(build)
        self.extra = list(extra)
        self.logdir = Path(logdir or tempfile.mkdtemp(prefix="hogar_recovery_"))
        self.nodes = [{"name": f"node{i + 1}", "actor": free_port(), "http": free_port(),
                       "proc": None} for i in range(size)]
        for i in range(size):
            self.start(i)
        if not self.converged(30):
            raise RuntimeError(f"the cluster did not form; logs in {self.logdir}")

    def start(self, i):
        n = self.nodes[i]
        args = [str(self.build / "tools/hogard"), f"--name={n['name']}", "--host=127.0.0.1",
                f"--actor-port={n['actor']}", f"--http-port={n['http']}", "--cpu-threads=2",
                "--heartbeat-interval-ms=100", "--heartbeat-miss-count=3",
                "--drain-timeout-ms=5000", "--log-level=info"] + self.extra
        if i > 0:
            args.append(f"--seeds=127.0.0.1:{self.nodes[0]['actor']}")
        log = open(self.logdir / f"{n['name']}.log", "ab")
        n["proc"] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)

    def signal(self, i, sig):
        self.nodes[i]["proc"].send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.nodes[i]["proc"].wait()

    def cluster_flag(self, i):
        return f"--cluster=127.0.0.1:{self.nodes[i]['actor']}"

    def cli(self, *args, timeout=60):
        r = subprocess.run([str(self.build / "tools/hogar"), *args], cwd=ROOT,
                           capture_output=True, text=True, timeout=timeout)
        return r

    def view(self, i):
        r = self.cli("nodes", "--json", "--timeout-ms=2000", self.cluster_flag(i))
        if r.returncode != 0:
            return {}
        return {m["name"]: m["state"] for m in json.loads(r.stdout)}

    def converged(self, limit_s):
        deadline = time.time() + limit_s
        while time.time() < deadline:
            ok = True
            for i, n in enumerate(self.nodes):
                if n["proc"] is None or n["proc"].poll() is not None:
                    continue
                v = self.view(i)
                ok = ok and all(v.get(m["name"]) == "alive" for m in self.nodes
                                if m["proc"] is not None and m["proc"].poll() is None)
            if ok:
                return True
            time.sleep(0.2)
        return False

    def submit(self, path, i=0):
        r = self.cli("submit", str(path), "--json", self.cluster_flag(i))
        if r.returncode != 0:
            raise RuntimeError(f"submit failed: {r.stderr}")
        return json.loads(r.stdout)

    def status(self, graph, i):
        r = self.cli("status", graph, "--json", "--timeout-ms=3000", self.cluster_flag(i))
        return json.loads(r.stdout) if r.returncode == 0 else None

    def stop(self):
        for n in self.nodes:
            p = n["proc"]
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.send_signal(signal.SIGKILL)
                p.wait()


def load(cluster, graph, node, *flags, csv=None):
    """Runs `hogar load` and returns (its JSON, wall clock of its start in ms)."""
    args = ["load", graph, "--json", cluster.cluster_flag(node), *flags]
    if csv:
        args += ["--csv", str(csv)]
    r = cluster.cli(*args, timeout=600)
    end = now_ms()
    doc = json.loads(r.stdout)
    return doc, end - doc["wall_s"] * 1000.0


def all_running(doc):
    return doc is not None and all(r["state"] == "running" for r in doc["replicas"])


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


# -- (a) overhead ---------------------------------------------------------------------------

def overhead(args, out):
    rows = {}
    for rnd in range(args.rounds):
        for setting in ("on", "off"):
            c = Cluster(args.build, extra=[f"--recovery={'true' if setting == 'on' else 'false'}"])
            try:
                c.submit(IMAGE_GRAPH)
                load(c, "image-analysis", 0, "--requests=200", "--concurrency=8")  # warm-up
                for conc in (1, 8, 64):
                    doc, _ = load(c, "image-analysis", 0, f"--requests={args.requests}",
                                  f"--concurrency={conc}")
                    rows.setdefault((setting, conc), []).append(doc)
            finally:
                c.stop()
        print(f"overhead: round {rnd + 1}/{args.rounds} done", file=sys.stderr)
    out.append("## (a) Normal-case overhead of ARG\n")
    out.append(f"3 daemons, `image-analysis-simulated`, closed loop of {args.requests} requests "
               f"per concurrency at node1, {args.rounds} rounds with `recovery` on and off in "
               "turn; each figure is the median over the rounds.\n")
    out.append("| concurrency | p50 off | p50 on | p50 overhead | p99 off | p99 on | req/s off "
               "| req/s on | failed |")
    out.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for conc in (1, 8, 64):
        def med(setting, key, sub=None):
            docs = rows[(setting, conc)]
            return statistics.median(d[key][sub] if sub else d[key] for d in docs)
        p50_off, p50_on = med("off", "latency_us", "p50"), med("on", "latency_us", "p50")
        failed = sum(d["failed"] for s in ("on", "off") for d in rows[(s, conc)])
        out.append(f"| {conc} | {p50_off:.0f} us | {p50_on:.0f} us | "
                   f"{(p50_on / p50_off - 1) * 100:+.1f}% | {med('off', 'latency_us', 'p99'):.0f} us"
                   f" | {med('on', 'latency_us', 'p99'):.0f} us | "
                   f"{med('off', 'requests_per_second'):.0f} | {med('on', 'requests_per_second'):.0f}"
                   f" | {failed} |")
    out.append("")


# -- (b) recovery time ----------------------------------------------------------------------

def rows_of(csv):
    lines = Path(csv).read_text().splitlines()[1:]
    rows = []
    for line in lines:
        parts = line.split(",", 4)
        rows.append((float(parts[1]) / 1000.0, float(parts[2]) / 1000.0, parts[3] == "1"))
    return rows


def wait_healthy(c, graph, stateful, limit_s=20):
    """Until every node sees every node alive, every replica runs, and (stateful) the
    primary's backup is in sync."""
    c.converged(limit_s)
    deadline = time.time() + limit_s
    while time.time() < deadline:
        doc = c.status(graph, 0)
        if all_running(doc) and (not stateful or any(
                r.get("role") == "primary" and r.get("backup_in_sync") for r in doc["replicas"])):
            return doc
        time.sleep(0.1)
    raise RuntimeError(f"{graph} did not heal within {limit_s} s; logs in {c.logdir}")


def one_trial(c, graph, stateful, tmp):
    """One kill -9 under load on a healthy cluster; the victim is restarted afterwards."""
    doc = wait_healthy(c, graph, stateful)
    count = {}
    for r in doc["replicas"]:
        if stateful and not (r["operator"] == "seq" and r.get("role") == "primary"):
            continue
        count[r["node"]] = count.get(r["node"], 0) + 1
    if not stateful:
        count.pop("node1", None)  # node1 supervises: its loss is the takeover test's case
    victim = int(max(count, key=count.get)[4:]) - 1
    client = next(i for i in range(3) if i != victim)
    csv = Path(tmp) / "rows.csv"
    result = {}

    def run_load():
        result["doc"], result["t0"] = load(c, graph, client, "--rate=200", "--duration=3",
                                           "--timeout-ms=5000", csv=csv)

    t = threading.Thread(target=run_load)
    t.start()
    time.sleep(1.0)
    kill_ms = now_ms()
    c.signal(victim, signal.SIGKILL)
    t.join()
    doc, t0 = result["doc"], result["t0"]
    kill_off = kill_ms - t0
    in_flight = [(s, l) for s, l, ok in rows_of(csv) if s <= kill_off < s + l]
    last_answer = max((s + l - kill_off for s, l in in_flight), default=0.0)
    deadline = time.time() + 10
    status = None
    while time.time() < deadline:
        status = c.status(graph, client)
        if all_running(status):
            break
        time.sleep(0.1)
    recs = [r for r in status["recoveries"] if r["detected_unix_ms"] >= kill_ms - 50]
    detected = min((r["detected_unix_ms"] for r in recs), default=float("nan")) - kill_ms
    replaced = max((r["replaced_unix_ms"] for r in recs if r["replaced_unix_ms"]),
                   default=float("nan")) - kill_ms
    # The first answer of the last replacement to answer (a backup answers none).
    first = max((r.get("first_answer_unix_ms", 0) for r in recs if not r.get("backup")),
                default=0)
    first_answer = first - kill_ms if first else float("nan")
    restored = all_running(status)
    c.start(victim)
    return {"detected": detected, "replaced": replaced, "first_answer": first_answer,
            "last_in_flight": last_answer, "in_flight": len(in_flight),
            "max": max((l for _, l in in_flight), default=0.0),
            "p99": pct([l for _, l in in_flight], 99), "failed": doc["failed"],
            "requests": doc["requests"], "restored": restored,
            "errors": [e["message"] for e in doc["errors"]]}


def recovery(args, out):
    out.append("## (b) Recovery time after kill -9 of a node\n")
    out.append(f"{args.trials} trials each on one 3-node cluster (the killed node is restarted "
               "and the graph healed, stateful backup in sync, before the next trial), open-loop "
               "load of 200 requests/s for 3 s at a node that stays up, kill -9 at 1 s of the "
               "node with the most replicas (node1, the supervisor's, aside) or of the stateful "
               "primary's node. Times from the "
               "kill (wall clock, ms): detection, the replacement wired in and its first answer "
               "come from the supervisor's recovery records; \"in-flight answered\" is when the last request "
               "in flight at the kill got its answer (client rows). Latency of the requests in "
               "flight at the kill, in ms. Figures are p50 (max) over the trials.\n")
    out.append("| operator | trials | detected | replacement wired | replacement's first answer "
               "| in-flight answered | in flight at kill | their max latency | their p99 | failed | "
               "replicas restored |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for stateful in (False, True):
            trials = []
            c = Cluster(args.build)
            try:
                if stateful:
                    path = Path(tmp) / "counter.yaml"
                    path.write_text(COUNTER_GRAPH)
                    c.submit(path)
                    graph = "counter"
                else:
                    c.submit(IMAGE_GRAPH)
                    graph = "image-analysis"
                for k in range(args.trials):
                    trials.append(one_trial(c, graph, stateful, tmp))
                    print(f"recovery ({'stateful' if stateful else 'stateless'}): trial {k + 1}/"
                          f"{args.trials}: {trials[-1]}", file=sys.stderr)
            finally:
                c.stop()

            def cell(key):
                values = [t[key] for t in trials if t[key] == t[key]]  # NaN: not measured
                if not values:
                    return "-"
                return f"{statistics.median(values):.1f} ({max(values):.1f})"
            out.append(f"| {'stateful primary (sequence)' if stateful else 'stateless (image-analysis)'}"
                       f" | {len(trials)} | {cell('detected')} | {cell('replaced')} | "
                       f"{cell('first_answer')} | {cell('last_in_flight')} | {cell('in_flight')} | {cell('max')} | "
                       f"{cell('p99')} | {sum(t['failed'] for t in trials)} of "
                       f"{sum(t['requests'] for t in trials)} | "
                       f"{sum(t['restored'] for t in trials)}/{len(trials)} |")
    out.append("")


# -- (c) soak -------------------------------------------------------------------------------

def soak(args, out):
    with tempfile.TemporaryDirectory() as tmp:
        c = Cluster(args.build)
        try:
            path = Path(tmp) / "counter.yaml"
            path.write_text(COUNTER_GRAPH)
            c.submit(IMAGE_GRAPH)
            c.submit(path)
            time.sleep(1)
            before = {g: len(c.status(g, 0)["replicas"]) for g in ("image-analysis", "counter")}
            numbers, counter_failures = [], []
            totals = {"requests": 0, "ok": 0, "failed": 0}
            errors = {}
            kinds = {"kill -9 + restart": 0, "SIGSTOP 2 s + SIGCONT": 0, "SIGTERM + restart": 0}
            url = f"http://127.0.0.1:{c.nodes[0]['http']}/v2/models/counter/infer"
            stop = threading.Event()

            def counter_client():
                while not stop.is_set():
                    req = urllib.request.Request(url, data=COUNTER_BODY,
                                                 headers={"Content-Type": "application/json"})
                    try:
                        with urllib.request.urlopen(req, timeout=10) as r:
                            numbers.append(json.loads(r.read())["outputs"][0]["data"][0])
                    except Exception as e:  # noqa: BLE001 - every failure is counted
                        counter_failures.append(str(e))
                    time.sleep(0.02)

            ct = threading.Thread(target=counter_client)
            ct.start()
            unhealed = 0
            for k in range(args.soak_cycles):
                victim = 1 + k % 2
                kind = list(kinds)[k % 3]
                result = {}

                def run_load():
                    result["doc"], _ = load(c, "image-analysis", 0, "--rate=100",
                                            "--duration=2.5", "--timeout-ms=8000")

                t = threading.Thread(target=run_load)
                t.start()
                time.sleep(0.5)
                if kind.startswith("kill"):
                    c.signal(victim, signal.SIGKILL)
                    time.sleep(0.5)
                    c.start(victim)
                elif kind.startswith("SIGSTOP"):
                    c.signal(victim, signal.SIGSTOP)
                    time.sleep(2)
                    c.signal(victim, signal.SIGCONT)
                else:
                    c.signal(victim, signal.SIGTERM)
                    c.start(victim)
                kinds[kind] += 1
                t.join()
                doc = result["doc"]
                for key in totals:
                    totals[key] += doc[key]
                for e in doc["errors"]:
                    errors[e["message"]] = errors.get(e["message"], 0) + e["count"]
                healed = c.converged(20)
                deadline = time.time() + 10
                while time.time() < deadline and not all(
                        all_running(c.status(g, 0)) for g in ("image-analysis", "counter")):
                    time.sleep(0.2)
                unhealed += 0 if healed else 1
                print(f"soak: cycle {k + 1}/{args.soak_cycles} ({kind} of node{victim + 1}): "
                      f"{doc['ok']}/{doc['requests']} ok", file=sys.stderr)
            stop.set()
            ct.join()
            after = {g: len((c.status(g, 0) or {"replicas": []})["replicas"])
                     for g in ("image-analysis", "counter")}
            exact = sorted(numbers) == list(range(1, len(numbers) + 1))
            seen = set(numbers)
            duplicated = len(numbers) - len(seen)
            missing = (max(numbers) - len(seen)) if numbers else 0
        finally:
            c.stop()
    out.append("## (c) Soak\n")
    out.append(f"{args.soak_cycles} fault cycles on one 3-node cluster, faults on node2 and node3 "
               "in turn (" + ", ".join(f"{n}x {k}" for k, n in kinds.items()) + "). Each cycle: "
               "open-loop load of `image-analysis` (100/s for 2.5 s) at node1, the fault at "
               "0.5 s, then waiting until every node sees every node alive and every replica "
               "runs. Meanwhile one client sends `counter` requests (a `sequence` operator, "
               "stateful) to node1 without pause.\n")
    out.append("| graph | requests | answered | failed | duplicated or missing numbers | "
               "replicas before / after |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    out.append(f"| image-analysis | {totals['requests']} | {totals['ok']} | {totals['failed']} | "
               f"- | {before['image-analysis']} / {after['image-analysis']} |")
    dup = ("0 (answers are exactly 1..N)" if exact
           else f"{duplicated} duplicated, {missing} missing: NOT exactly 1..N")
    out.append(f"| counter (stateful) | {len(numbers) + len(counter_failures)} | {len(numbers)} | "
               f"{len(counter_failures)} | {dup} | {before['counter']} / {after['counter']} |")
    out.append("")
    out.append(f"Cycles after which the cluster had not converged within 20 s: {unhealed}.")
    if errors:
        out.append("\nErrors seen by the load generator:\n")
        for msg, n in sorted(errors.items(), key=lambda x: -x[1])[:10]:
            out.append(f"- {n}x {msg}")
    if counter_failures:
        out.append(f"\nFirst counter failure: {counter_failures[0]}")
    out.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--soak-cycles", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--parts", default="overhead,recovery,soak")
    ap.add_argument("--output", default=str(ROOT / "bench/results/recovery.md"))
    args = ap.parse_args()
    parts = args.parts.split(",")
    out = ["# ARG recovery: overhead, recovery time, soak\n",
           f"Command: `python3 bench/recovery/recovery_bench.py {' '.join(sys.argv[1:])}`  ",
           f"Machine: {os.cpu_count()} x {cpu_model()} ({os.uname().sysname} "
           f"{os.uname().release})  ",
           f"Date: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC\n"]
    if "overhead" in parts:
        overhead(args, out)
    if "recovery" in parts:
        recovery(args, out)
    if "soak" in parts:
        soak(args, out)
    Path(args.output).write_text("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()

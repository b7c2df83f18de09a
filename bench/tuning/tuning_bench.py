#!/usr/bin/env python3
"""tuning_bench.py: online tuning on the real engine (issue 10, item 8).

    python3 bench/tuning/tuning_bench.py [--build build] [--traces dynamic,diurnal,bursty]
        [--seconds-per-step 30] [--policies static,oracle,slo_greedy,aimd,q_learning,rrl]
        [--output bench/results/tuning.md]

One hogard on loopback serves ResNet-18 (build/models/resnet18) on this machine's CPU path.
For each trace, every policy serves the same replay of it (`hogar load --trace`), one after
the other, each in a fresh graph:
  static      the graph file's configuration, what the tuners start from
  oracle      the best single static configuration for the whole trace, found offline by grid
              search over the same grid in the serving simulator fitted to this machine's
              measured profile (what a Model Analyzer user would deploy)
  slo_greedy  Rafiki's batching (batching.policy slo_greedy), largest batch and delay bounds
  aimd        Clipper's batching (batching.policy aimd)
  q_learning  plain Q-learning tuner over the grid (tuning.policy q_learning)
  rrl         the RRL tuner (tuning.policy rrl)
Per policy: client-side mean, p50, p99 latency and SLO violations (from the per-request CSV),
the operator's CPU time and the tuner's own (from `hogar tune show`). During the dynamic
trace the configuration in force is polled every second; a gnuplot PNG shows latency and
batch size over time per policy.

The rates: the RRL paper's dynamic trace (mean inter-arrival 0.07 -> 0.06 -> 0.07 -> 0.10
-> 0.12 s) scaled so that its busiest step loads one instance with two threads to about 35%
at batch 1 (from the profile measured first with tuning_profile); the diurnal and bursty
traces have the same mean rate.
"""

import argparse
import json
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ["static", "oracle", "slo_greedy", "aimd", "q_learning", "rrl"]
# The knobs' bounds on this machine (2 cores; the repository's resnet18 takes batches up to 8).
BOUNDS = {"batch_size": (1, 8), "queue_delay_us": (0, 20000), "instances": (1, 2),
          "intra_op_threads": (1, 2)}
START = {"batch_size": 4, "queue_delay_us": 5000, "instances": 1, "intra_op_threads": 2}
POINTS = 5


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graph_yaml(name, policy, config, slo_ms):
    batching = "static"
    tuning = ""
    if policy in ("slo_greedy", "aimd"):
        batching = policy
    if policy in ("q_learning", "rrl"):
        bounds = ", ".join(f"{k}: [{lo}, {hi}]" for k, (lo, hi) in BOUNDS.items())
        tuning = (f"    tuning: {{policy: {policy}, {bounds}, points: {POINTS}, "
                  f"window_requests: 10, window_ms: 3000, seed: 1}}\n")
    return (f"graph: {name}\n"
            "inputs: [{name: input, dtype: float32, shape: [3, 224, 224]}]\n"
            "operators:\n"
            "  - name: net\n"
            "    kind: model\n"
            "    inputs: [input]\n"
            f"    params: {{model: resnet18, instances: {config['instances']}, "
            f"intra_op_threads: {config['intra_op_threads']}}}\n"
            f"    batching: {{policy: {batching}, max_batch_size: {config['batch_size']}, "
            f"max_queue_delay_us: {config['queue_delay_us']}}}\n"
            f"    slo_ms: {slo_ms:g}\n"
            f"{tuning}"
            "outputs: [{name: logits, from: net.logits}]\n")


class Daemon:
    def __init__(self, build, logdir):
        self.build = Path(build)
        self.actor, self.http = free_port(), free_port()
        self.log = open(Path(logdir) / "hogard.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.build / "tools/hogard"), "--name=bench", "--host=127.0.0.1",
             f"--actor-port={self.actor}", f"--http-port={self.http}",
             f"--model-repository={self.build / 'models'}", "--log-level=info"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.cli("nodes", "--json", "--timeout-ms=2000").returncode == 0:
                return
            time.sleep(0.3)
        raise RuntimeError("hogard did not start")

    def cli(self, *args, timeout=900):
        return subprocess.run([str(self.build / "tools/hogar"), *args,
                               f"--cluster=127.0.0.1:{self.actor}"], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def snapshot(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/v2/dashboard.json",
                                    timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def replica_of(snapshot, graph):
    for g in snapshot["graphs"]:
        if g["name"] == graph:
            return g["replicas"][0]
    return None


def run_policy(daemon, trace, policy, config, slo_ms, workdir, poll):
    graph = f"tune-{policy.replace('_', '-')}"
    path = Path(workdir) / f"{graph}.yaml"
    path.write_text(graph_yaml(graph, policy, config, slo_ms))
    r = daemon.cli("submit", str(path), "--json")
    if r.returncode != 0:
        raise RuntimeError(f"submit {graph}: {r.stderr}")
    # Warm-up: plan the shapes of every batch size once, outside the measurement.
    daemon.cli("load", graph, "--requests", "16", "--concurrency", "8", "--json")
    csv = Path(workdir) / f"{graph}.csv"
    samples = []
    stop = threading.Event()

    def poller():
        start = time.time()
        while not stop.wait(1.0):
            try:
                rep = replica_of(daemon.snapshot(), graph)
                t = rep.get("tuning", {})
                samples.append({"t": time.time() - start, "batch_size_max": rep["batch_size_max"],
                                "delay_us": rep["batch_delay_max_us"],
                                "config": t.get("config", {})})
            except Exception:  # a poll that misses is a gap in the plot, not a failure
                pass

    thread = threading.Thread(target=poller) if poll else None
    if thread:
        thread.start()
    r = daemon.cli("load", graph, "--trace", str(trace), "--json", "--csv", str(csv),
                   "--timeout-ms=60000")
    stop.set()
    if thread:
        thread.join()
    if r.returncode not in (0, 1):
        raise RuntimeError(f"load {graph}: {r.stderr}")
    summary = json.loads(r.stdout)
    rows = [line.split(",") for line in csv.read_text().splitlines()[1:]]
    latencies = [float(row[2]) / 1000 for row in rows if row[3] == "1"]
    offsets = [float(row[1]) / 1e6 for row in rows if row[3] == "1"]
    rep = replica_of(daemon.snapshot(), graph)
    tuning = rep.get("tuning", {})
    daemon.cli("remove", graph)
    lat_sorted = sorted(latencies)
    return {
        "policy": policy, "requests": len(rows), "failed": summary["failed"],
        "mean": statistics.fmean(latencies), "p50": lat_sorted[len(lat_sorted) // 2],
        "p99": lat_sorted[min(len(lat_sorted) - 1, int(0.99 * len(lat_sorted)))],
        "slo_violations": sum(1 for x in latencies if x > slo_ms) + summary["failed"],
        "cpu_s": tuning.get("operator_cpu_ms", 0) / 1000,
        "tuner_cpu_s": tuning.get("tuner_cpu_ms", 0) / 1000,
        "tried": tuning.get("configurations_tried", 0),
        "best": tuning.get("best", {}), "series": list(zip(offsets, latencies)),
        "samples": samples,
    }


def oracle_config(build, profile, trace):
    r = subprocess.run([str(Path(build) / "bench/tuning/tuning_sim_bench"), "--profile",
                        str(profile), "--oracle-trace", str(trace), "--points", str(POINTS),
                        "--batch-max", str(BOUNDS["batch_size"][1]),
                        "--instances-max", str(BOUNDS["instances"][1])],
                       cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"oracle: {r.stderr}")
    return json.loads(r.stdout)


def make_trace(build, kind, out, mean_ia, seconds_per_step, scale, seed=1):
    tool = str(Path(build) / "bench/tuning/make_trace")
    duration = 5 * seconds_per_step
    rate = 1.0 / mean_ia
    if kind == "dynamic":
        args = ["dynamic", "--scale", f"{scale}", "--seconds-per-step", f"{seconds_per_step}"]
    elif kind == "diurnal":
        args = ["diurnal", "--mean-rate", f"{rate}", "--amplitude", "0.6",
                "--period", f"{duration / 2}", "--duration", f"{duration}"]
    else:
        args = ["bursty", "--base-rate", f"{rate * 0.4}", "--burst-rate", f"{rate * 3.4}",
                "--mean-burst", "2", "--mean-gap", "8", "--duration", f"{duration}"]
    subprocess.run([tool, *args, "--seed", str(seed), "--out", str(out)], check=True,
                   capture_output=True)


def plot(results, workdir, png):
    lines = []
    for i, res in enumerate(results):
        data = Path(workdir) / f"series_{res['policy']}.dat"
        # A 5-second moving mean of the latency.
        pts = sorted(res["series"])
        out = []
        window = []
        for t, lat in pts:
            window.append((t, lat))
            while window and window[0][0] < t - 5:
                window.pop(0)
            out.append(f"{t:.2f} {statistics.fmean(x for _, x in window):.2f}")
        data.write_text("\n".join(out) + "\n")
        conf = Path(workdir) / f"config_{res['policy']}.dat"
        conf.write_text("\n".join(f"{s['t']:.1f} {s['batch_size_max']} {s['delay_us'] / 1000:.1f}"
                                  for s in res["samples"]) + "\n")
        lines.append((res["policy"], data, conf))
    script = [
        f"set terminal pngcairo size 1200,900 font 'sans,10'",
        f"set output '{png}'",
        "set termoption noenhanced",
        "set multiplot layout 2,1 title 'ResNet-18 under the dynamic trace, per policy'",
        "set ylabel 'latency, 5 s moving mean (ms)'", "set logscale y", "set key outside right",
        "plot " + ", ".join(f"'{d}' using 1:2 with lines title '{p}'" for p, d, _ in lines),
        "unset logscale y", "set xlabel 'time (s)'", "set ylabel 'batch size limit in force'",
        "plot " + ", ".join(f"'{c}' using 1:2 with steps title '{p}'" for p, _, c in lines),
        "unset multiplot",
    ]
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--traces", default="dynamic,diurnal,bursty")
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--seconds-per-step", type=float, default=30)
    ap.add_argument("--profile", default="bench/results/tuning_profile.txt")
    ap.add_argument("--output", default="bench/results/tuning.md")
    ap.add_argument("--png", default="bench/results/tuning_dynamic.png")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="hogar_tuning_")
    profile = ROOT / args.profile
    # batch 1 on one instance with two threads, from the profile's fitted line.
    batch1_ms = None
    for line in profile.read_text().splitlines():
        if line.startswith("threads=2 batch=1 "):
            batch1_ms = float(line.split("ms=")[1].split()[0])
    if batch1_ms is None:
        raise SystemExit(f"{profile}: no threads=2 batch=1 measurement")
    capacity = 1000.0 / batch1_ms
    scale = 0.35 * capacity * 0.06
    slo_ms = 4 * batch1_ms
    mean_ia = 0.084 / scale  # the dynamic trace's mean inter-arrival time, scaled
    daemon = Daemon(args.build, workdir)
    sections = []
    dynamic_results = None
    try:
        for kind in args.traces.split(","):
            trace = Path(workdir) / f"{kind}.trace"
            make_trace(args.build, kind, trace, mean_ia, args.seconds_per_step, scale)
            oracle = oracle_config(args.build, profile, trace)
            results = []
            for policy in args.policies.split(","):
                config = oracle["config"] if policy == "oracle" else dict(START)
                if policy in ("slo_greedy", "aimd"):
                    config = dict(START, batch_size=BOUNDS["batch_size"][1],
                                  queue_delay_us=BOUNDS["queue_delay_us"][1])
                print(f"{kind}: {policy} {config}", flush=True)
                results.append(run_policy(daemon, trace, policy, config, slo_ms, workdir,
                                          poll=(kind == "dynamic")))
                r = results[-1]
                print(f"  mean {r['mean']:.1f} ms p99 {r['p99']:.1f} ms slo violations "
                      f"{r['slo_violations']}", flush=True)
            sections.append((kind, trace, oracle, results))
            if kind == "dynamic":
                dynamic_results = results
    finally:
        daemon.stop()
    md = ["# bench/tuning: online tuning on the real engine", "",
          f"Command: `python3 bench/tuning/tuning_bench.py {' '.join(f'--{k.replace(chr(95), chr(45))} {v}' for k, v in vars(args).items())}`  ",
          f"Machine: {len(__import__('os').sched_getaffinity(0))} x {cpu_model()}  ",
          f"Date: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC", "",
          f"Model: ResNet-18 (build/models/resnet18), CPU path. Profile `{args.profile}`: batch 1 "
          f"on two threads {batch1_ms:.1f} ms, so one instance serves about {capacity:.1f}/s at "
          f"batch 1. The traces are scaled by {scale:.3f} (the dynamic trace's busiest step "
          f"loads that to 35%: the load generator and the request transfers share the two cores); SLO {slo_ms:.0f} ms (4x batch 1). Grid: "
          + ", ".join(f"{k} [{lo}, {hi}]" for k, (lo, hi) in BOUNDS.items())
          + f", {POINTS} points per wide knob; tuners and the static baseline start at "
          + ", ".join(f"{k}={v}" for k, v in START.items())
          + "; slo_greedy and aimd get the largest batch and delay as their bounds.", ""]
    for kind, trace, oracle, results in sections:
        md += [f"## {kind} trace", "",
               f"Oracle (simulator grid search over the whole trace): "
               + ", ".join(f"{k}={v}" for k, v in oracle["config"].items())
               + f", {oracle['mean_latency_ms']:.1f} ms predicted.", "",
               "| policy | requests | mean | p50 | p99 | SLO violations | operator CPU | tuner CPU "
               "| configurations tried | mean vs rrl |",
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        rrl = next((r for r in results if r["policy"] == "rrl"), None)
        for r in results:
            vs = f"{r['mean'] / rrl['mean']:.2f}x" if rrl else "-"
            md.append(f"| {r['policy']} | {r['requests']} | {r['mean']:.1f} ms | {r['p50']:.1f} ms "
                      f"| {r['p99']:.1f} ms | {r['slo_violations']} "
                      f"({100 * r['slo_violations'] / max(1, r['requests']):.1f}%) "
                      f"| {r['cpu_s']:.1f} s | {r['tuner_cpu_s'] * 1000:.0f} ms "
                      f"({100 * r['tuner_cpu_s'] / r['cpu_s'] if r['cpu_s'] else 0:.2f}%) "
                      f"| {r['tried'] or '-'} | {vs} |")
        md.append("")
    if dynamic_results:
        plot(dynamic_results, workdir, ROOT / args.png)
        md += [f"![latency and batch size over time per policy, dynamic trace]({Path(args.png).name})", ""]
    # The simulator's study (tuning_sim_bench) belongs with these tables: the same results file.
    sim = ROOT / "bench/results/tuning_sim.md"
    if sim.exists():
        text = sim.read_text().split("\n", 1)[1]
        md += ["## In the simulator: RRL against plain Q-learning", "", text.strip(), ""]
    Path(ROOT / args.output).write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()

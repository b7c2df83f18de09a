"""monitor_bench.py: what the web page costs (issue 11's targets), on three real daemons.

    /usr/bin/python3 bench/monitor/monitor_bench.py [--seconds 20] [--pages 20]

1. First render: a 50-operator graph (a binary tree of identity operators, written by this
   script) submitted to the 3-node cluster; headless chromium opens the page and the page
   records, in body[data-first-render-ms], when the graph first stood complete with its live
   figures (ms after navigation started). Median of 5 loads, the browser's cache emptied
   between them. Target: under 300 ms.
2. Update cost: the three daemons' CPU time (/proc/PID/stat, all threads: a snapshot asks
   every replica on every node) over --seconds with no page open, then with --pages pages
   open on node1. A page's steady cost on the daemon is one GET of
   /v2/dashboard.json per second (the layout is fetched once): --pages threads poll exactly
   that, as the page does, rather than --pages browsers that would load these 2 cores
   themselves. Target: under 1% of a core per page.
3. Serving: `hogar load image-analysis` closed loop at concurrency 8 for --seconds, without
   and with the pages polling, in --pairs pairs (ABBA order) after a warm-up; requests/s
   and p50/p99, and the median ratio of the pairs. Target: at most 2% slower.

Writes bench/results/monitor.md (or --output) with the machine and the command.
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "test", "ui"))
import browser_test as harness  # noqa: E402 (the daemons and browser of the browser test)


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def cpu_seconds(pid):
    """User + system CPU time of a process, all its threads, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wide_graph(path, operators=50):
    lines = ["graph: wide50", "description: 50 identity operators in a binary tree (bench/monitor)",
             "inputs:", "  - {name: x, dtype: float32, shape: [4]}", "operators:"]
    for i in range(operators):
        source = "x" if i == 0 else f"op{(i - 1) // 2:02d}"
        lines.append(f"  - {{name: op{i:02d}, kind: identity, inputs: [{source}]}}")
    lines.append("outputs:")
    for i in range(operators):
        if 2 * i + 1 >= operators:
            lines.append(f"  - {{name: out{i:02d}, from: op{i:02d}}}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def first_render_ms(browser, url, graph):
    browser.execute_cdp_cmd("Network.clearBrowserCache", {})
    browser.get("about:blank")
    browser.get(url + "#graph-view")
    from selenium.webdriver.support.ui import Select
    def ready():
        return browser.execute_script("return document.body.dataset.firstRenderMs || null")
    if not harness.eventually(ready, 20, 0.01):
        raise RuntimeError("the page never rendered a graph")
    # The page opens the first graph; make sure it was the 50-operator one.
    selected = Select(browser.find_element("css selector", "#graph-select")).first_selected_option.text
    operators = len(browser.find_elements("css selector", "#graph-canvas g.node[data-operator]"))
    return float(ready()), selected, operators


class Pollers:
    """`pages` threads, each fetching the snapshot once a second as an open page does."""

    def __init__(self, url, pages):
        self.url, self.pages, self.stop_flag = url, pages, threading.Event()
        self.fetched = 0
        self.threads = [threading.Thread(target=self.run, args=(k,), daemon=True) for k in range(pages)]

    def run(self, k):
        time.sleep(k / max(1, self.pages))  # pages opened at different moments
        while not self.stop_flag.is_set():
            started = time.monotonic()
            with urllib.request.urlopen(self.url + "v2/dashboard.json", timeout=5) as r:
                r.read()
            self.fetched += 1
            self.stop_flag.wait(max(0.0, 1.0 - (time.monotonic() - started)))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join()


def load(cluster, seconds):
    out = cluster.node1.cli("load", "image-analysis", "--concurrency", "8", "--duration",
                            str(seconds), timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError("hogar load failed: " + out.stderr)
    rate = float(re.search(r"([\d.]+) requests/s answered", out.stdout).group(1))
    p50, p99 = (re.search(rf"{p} ([\d.]+ \w+)", out.stdout).group(1) for p in ("p50", "p99"))
    return rate, p50, p99


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--pages", type=int, default=20)
    p.add_argument("--loads", type=int, default=5)
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--output", default=os.path.join(SOURCE, "bench", "results", "monitor.md"))
    args = p.parse_args()
    build = os.path.join(SOURCE, "build")
    harness.ARGS = argparse.Namespace(hogard=os.path.join(build, "tools", "hogard"),
                                      hogar=os.path.join(build, "tools", "hogar"),
                                      models=os.path.join(build, "models"), source=SOURCE,
                                      screenshots="")
    why = harness.missing_tools()
    if why:
        sys.exit(f"monitor_bench: {why}")
    cluster = harness.Cluster()
    try:
        cluster.start()
        graph_file = "/tmp/hogar_monitor_wide50.yaml"
        wide_graph(graph_file)
        # Removed and submitted again so that it is the page's first graph (graphs are listed
        # by name: "image-analysis" < "wide50" otherwise).
        out = cluster.node1.cli("submit", graph_file)
        if out.returncode != 0:
            raise RuntimeError("submit wide50: " + out.stderr)
        cluster.node1.cli("remove", "image-analysis")
        renders = []
        for _ in range(args.loads):
            ms, selected, operators = first_render_ms(cluster.browser, cluster.node1.url, "wide50")
            if selected != "wide50" or operators != 50:
                raise RuntimeError(f"the page showed {selected} with {operators} operators")
            renders.append(ms)
        cluster.browser.quit()
        cluster.browser = None
        cluster.node1.cli("remove", "wide50")
        out = cluster.node1.cli("submit", "config/graphs/image-analysis.yaml")
        if out.returncode != 0:
            raise RuntimeError("submit image-analysis: " + out.stderr)
        pids = [d.process.pid for d in cluster.daemons]
        def cluster_cpu():
            return sum(cpu_seconds(pid) for pid in pids)
        # Update cost, no load: idle daemons, then with the pages.
        before = cluster_cpu()
        time.sleep(args.seconds)
        idle_cpu = (cluster_cpu() - before) / args.seconds
        with Pollers(cluster.node1.url, args.pages) as pollers:
            time.sleep(1.5)
            before = cluster_cpu()
            fetched = pollers.fetched
            time.sleep(args.seconds)
            pages_cpu = (cluster_cpu() - before) / args.seconds
            polls_per_s = (pollers.fetched - fetched) / args.seconds
        # Serving with and without the pages, in pairs whose order alternates (ABBA) to
        # cancel the machine's drift, after a warm-up run whose figures are dropped. The pollers
        # run in this process, on the same 2 cores: their own CPU is counted and reported.
        load(cluster, 5)
        pairs = []
        client_cpu = 0.0
        for k in range(args.pairs):
            order = (False, True) if k % 2 == 0 else (True, False)
            pair = {}
            for with_pages in order:
                if with_pages:
                    started = time.process_time()
                    with Pollers(cluster.node1.url, args.pages):
                        pair[True] = load(cluster, args.seconds)
                    client_cpu += (time.process_time() - started) / args.seconds
                else:
                    pair[False] = load(cluster, args.seconds)
            pairs.append(pair)
        client_cpu /= args.pairs
    finally:
        cluster.stop()

    per_page = (pages_cpu - idle_cpu) / args.pages
    ratios = [pair[True][0] / pair[False][0] for pair in pairs]
    md = ["# bench/monitor: what the web page costs", "",
          f"Command: `/usr/bin/python3 bench/monitor/monitor_bench.py --seconds {args.seconds} "
          f"--pages {args.pages} --pairs {args.pairs}`  ",
          f"Machine: {os.cpu_count()} x {cpu_model()} (Linux {platform.release()})  ",
          f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
          "Three daemons on loopback (heartbeats every 500 ms), headless chromium, "
          "the page polling `/v2/dashboard.json` once a second.", "",
          "## First render of a 50-operator graph", "",
          f"Loads: {', '.join(f'{r:.0f} ms' for r in renders)}; median **{statistics.median(renders):.0f} ms** "
          "from navigation to the graph drawn with its live figures (target: under 300 ms).", "",
          "## Update cost on the daemons (the three together, no load)", "",
          "A node answers pages from a snapshot up to 500 ms old, so the replicas are asked at "
          "most twice a second however many pages are open.", "",
          "| pages | CPU of the 3 daemons | snapshots served/s |", "| ---: | ---: | ---: |",
          f"| 0 | {100 * idle_cpu:.2f}% of a core | 0 |",
          f"| {args.pages} | {100 * pages_cpu:.2f}% of a core | {polls_per_s:.1f} |", "",
          f"Per open page: **{100 * per_page:.3f}% of a core** (target: under 1%).", "",
          "## Serving image-analysis with the pages open", "",
          "`hogar load image-analysis --concurrency 8`, each run "
          f"{args.seconds} s after a 5 s warm-up, in pairs without and with {args.pages} pages "
          "polling (the order alternating from pair to pair). The pollers run on the same two "
          f"cores as the daemons and the load generator: they used {100 * client_cpu:.1f}% of a "
          "core themselves, which a browser elsewhere would not take from the server.", "",
          "| pair | no page: requests/s, p50, p99 | pages: requests/s, p50, p99 | ratio |",
          "| ---: | --- | --- | ---: |"]
    for k, pair in enumerate(pairs):
        a, b = pair[False], pair[True]
        md.append(f"| {k + 1} | {a[0]:.1f}, {a[1]}, {a[2]} | {b[0]:.1f}, {b[1]}, {b[2]} | "
                  f"{b[0] / a[0]:.3f} |")
    md += ["", f"Throughput with {args.pages} pages open: median pair ratio "
           f"**{statistics.median(ratios):.3f}x**, mean {statistics.mean(ratios):.3f}x "
           "(target: at least 0.98x).", ""]
    text = "\n".join(md)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

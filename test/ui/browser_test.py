"""browser_test.py: hogar's web page in a real browser (Debian's chromium, driven through
chromium-driver by python3-selenium), against three real daemons on loopback.

    python3 test/ui/browser_test.py --hogard BIN --hogar BIN --models DIR --source DIR \
        [--screenshots DIR]

Exit status 77 (ctest's skip) with the reason when the browser or selenium is missing; the
project's scripts install them (scripts/install-deps.sh), so CI runs it.

With --screenshots, each view is written there as PNG (scripts/screenshots.sh, for docs/).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None
CLUSTER = None
HEARTBEAT_MS = 500
# Missed heartbeats before a silent node is suspect (twice as many: dead). A killed daemon is
# seen dead at once (its connections close); a stopped one only by its silence, and with 10
# it stays "alive, not answering" for 5 s: the window in which the page must show its
# operators as unknown.
HEARTBEAT_MISS = 10


def free_port():
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition, limit_s=20.0, step_s=0.05):
    """Waits until condition() holds (exceptions count as not yet), for at most limit_s."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # the page is between two renders
            pass
        time.sleep(step_s)
    return condition()


class Daemon:
    """One hogard on free loopback ports, serving the build's example models."""

    def __init__(self, name, seed=None, labels=""):
        self.name = name
        self.actor_port = free_port()
        self.http_port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix=f"hogar_ui_{name}_", suffix=".log",
                                               delete=False)
        command = [ARGS.hogard, f"--name={name}", "--host=127.0.0.1",
                   f"--actor-port={self.actor_port}", f"--http-port={self.http_port}",
                   "--cpu-threads=2", f"--heartbeat-interval-ms={HEARTBEAT_MS}",
                   f"--heartbeat-miss-count={HEARTBEAT_MISS}", "--log-level=info",
                   f"--model-repository={ARGS.models}"]
        if labels:
            command.append(f"--labels={labels}")
        if seed:
            command.append(f"--seeds=127.0.0.1:{seed.actor_port}")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=ARGS.source)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}/"

    def cli(self, *args, timeout=120):
        env = dict(os.environ, HOGAR_MODEL_REPOSITORY=ARGS.models)
        return subprocess.run([ARGS.hogar, *args, "--cluster", f"127.0.0.1:{self.actor_port}"],
                              cwd=ARGS.source, env=env, capture_output=True, text=True,
                              timeout=timeout)

    def logs(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def signal(self, which):
        if self.process.poll() is None:
            self.process.send_signal(which)

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class Cluster:
    """Three daemons (node3 labelled "edge", as config/local-cluster has it), image-analysis
    submitted, and a headless chromium."""

    def __init__(self):
        self.node1 = Daemon("node1")
        self.node2 = Daemon("node2", seed=self.node1)
        self.node3 = Daemon("node3", seed=self.node1, labels="edge")
        self.daemons = [self.node1, self.node2, self.node3]
        self.load = None
        self.browser = None

    def start(self):
        def three_alive():
            out = self.node1.cli("nodes", timeout=10)
            return out.returncode == 0 and out.stdout.count(" alive ") == 3
        if not eventually(three_alive, 30, 0.2):
            raise RuntimeError("the three daemons did not join:\n" + self.node1.logs())
        for graph in ("config/graphs/image-analysis.yaml",):
            out = self.node1.cli("submit", graph)
            if out.returncode != 0:
                raise RuntimeError(f"hogar submit {graph} failed: {out.stderr}")
        self.browser = make_browser()

    def start_load(self):
        """hogar load in the background, until stop()."""
        env = dict(os.environ, HOGAR_MODEL_REPOSITORY=ARGS.models)
        self.load = subprocess.Popen(
            [ARGS.hogar, "load", "image-analysis", "--concurrency", "4", "--duration", "120",
             "--cluster", f"127.0.0.1:{self.node1.actor_port}"],
            cwd=ARGS.source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        if self.load and self.load.poll() is None:
            self.load.kill()
            self.load.wait()
        if self.browser:
            self.browser.quit()
        for d in self.daemons:
            d.kill()


class BrowserCases(unittest.TestCase):
    """The checks issue 11 asks of the page, in order (the fifth kills node3)."""

    @classmethod
    def setUpClass(cls):
        global CLUSTER
        CLUSTER = Cluster()
        try:
            CLUSTER.start()
        except Exception:
            CLUSTER.stop()
            raise
        cls.b = CLUSTER.browser

    @classmethod
    def tearDownClass(cls):
        if CLUSTER:
            CLUSTER.stop()

    def by(self, css):
        from selenium.webdriver.common.by import By
        return self.b.find_elements(By.CSS_SELECTOR, css)

    def one(self, css):
        found = self.by(css)
        self.assertTrue(found, f"nothing on the page matches {css}")
        return found[0]

    def tab(self, name):
        self.one(f'#tabs button[data-tab="{name}"]').click()

    def shot(self, name):
        if ARGS.screenshots:
            os.makedirs(ARGS.screenshots, exist_ok=True)
            self.b.save_screenshot(os.path.join(ARGS.screenshots, name))

    def assert_no_console_errors(self):
        # A 4xx the test asked for (a broken graph) is logged by the browser as a failed
        # resource; what must not happen is an error of the page's own script.
        errors = [e for e in self.b.get_log("browser")
                  if e.get("level") == "SEVERE" and e.get("source") != "network"]
        self.assertEqual(errors, [], "the page's script logged errors")

    def test_1_graph_view_shows_every_operator_with_moving_figures(self):
        CLUSTER.start_load()
        self.b.get(CLUSTER.node1.url)
        operators = ["resize", "normalize", "detector", "car_check", "plate_crop",
                     "plate_normalize", "plate_reader", "analysis"]
        def drawn():
            names = {g.get_attribute("data-operator") for g in self.by("#graph-canvas g.node[data-operator]")}
            return set(operators) <= names
        self.assertTrue(eventually(drawn, 20), "the graph view does not show every operator")
        def figures():
            return {g.get_attribute("data-operator"): g.find_element("css selector", ".op-figures").text
                    for g in self.by("#graph-canvas g.node[data-operator]")}
        first = figures()
        # Under load the figures move from one update to the next (at least once a second).
        self.assertTrue(eventually(lambda: figures() != first, 10),
                        f"the figures did not change under load: {first}")
        self.assertTrue(eventually(lambda: all(g.get_attribute("data-state") == "healthy"
                                               for g in self.by("#graph-canvas g.node[data-operator]")
                                               if g.get_attribute("data-operator") in ("resize", "normalize")), 10))
        # Each edge carries its request rate.
        def edge_rates():
            return {(g.get_attribute("data-from"), g.get_attribute("data-to")):
                    g.find_element("css selector", "text.edge-rate").text
                    for g in self.by("#graph-canvas g.edge[data-from]")}
        self.assertTrue(eventually(lambda: all(r.endswith("/s") for r in edge_rates().values()), 10),
                        edge_rates())
        self.shot("ui-graph.png")
        # An operator's detail: its replicas, one row each.
        self.one('#graph-canvas g.node[data-operator="detector"]').click()
        self.assertTrue(eventually(lambda: self.one("#op-detail").is_displayed(), 5))
        # One column per replica (the table is transposed: a row per figure).
        self.assertTrue(eventually(lambda: len(self.by("#op-replicas thead th[data-replica]")) == 2, 5),
                        "the detail of detector does not list its 2 replicas")
        self.shot("ui-operator.png")
        self.assert_no_console_errors()

    def test_2_requests_panel_sends_20_and_shows_20_answers(self):
        self.b.get(CLUSTER.node2.url)  # any node serves the whole cluster's page
        self.tab("requests")
        from selenium.webdriver.support.ui import Select
        self.assertTrue(eventually(lambda: "image-analysis" in
                                   [o.text for o in Select(self.one("#req-graph")).options], 10))
        Select(self.one("#req-graph")).select_by_visible_text("image-analysis")
        count = self.one("#req-count")
        count.clear()
        count.send_keys("20")
        self.one("#req-send").click()
        self.assertTrue(eventually(lambda: len(self.by("#req-results tr.answer")) == 20, 30),
                        f"{len(self.by('#req-results tr.answer'))} answers shown, not 20")
        self.assertEqual(len(self.by("#req-results tr.answer.ok")), 20,
                         self.one("#req-results").text[:2000])
        self.assertIn("20", self.one("#req-summary").text)
        # Each answer says which branches it took: the plate branch behind car_check or none.
        branches = {td.text for td in self.by("#req-results tr.answer td.branches")}
        self.assertTrue(branches and branches <= {"plate_crop", "none"}, branches)
        self.shot("ui-requests.png")
        self.assert_no_console_errors()

    def test_3_a_broken_graph_shows_its_errors(self):
        self.b.get(CLUSTER.node1.url)
        self.tab("operations")
        name = self.one("#submit-name")
        name.clear()
        name.send_keys("broken.yaml")
        text = ("graph: broken\ninputs:\n  - {name: x, dtype: float32, shape: [1]}\n"
                "operators:\n  - name: a\n    kind: nope\n    inputs: [y]\n"
                "outputs:\n  - {name: o, from: a}\n")
        area = self.one("#submit-text")
        self.b.execute_script("arguments[0].value = arguments[1];", area, text)
        self.one("#submit-button").click()
        def errors():
            return [li.text for li in self.by("#submit-errors li")]
        self.assertTrue(eventually(lambda: len(errors()) == 2, 10), f"errors shown: {errors()}")
        self.assertTrue(errors()[0].startswith("broken.yaml:6:11") or "broken.yaml:" in errors()[0],
                        errors())
        self.assertTrue(any("unknown kind 'nope'" in e for e in errors()), errors())
        self.assertTrue(any("unknown input 'y'" in e for e in errors()), errors())
        self.shot("ui-operations.png")
        # Markup in what a user typed comes back in the errors as text, never as elements.
        self.b.execute_script("arguments[0].value = arguments[1];", area,
                              text.replace("graph: broken", 'graph: "<b>bold</b>"'))
        self.one("#submit-button").click()
        self.assertTrue(eventually(lambda: any("<b>bold</b>" in e for e in errors()), 10), errors())
        self.assertEqual(self.by("#submit-errors b"), [])

    def test_4_a_stopped_daemon_shows_unknown_and_the_rest_keeps_updating(self):
        import json
        out = CLUSTER.node1.cli("status", "image-analysis", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        nodes_of = {}
        for r in json.loads(out.stdout)["replicas"]:
            nodes_of.setdefault(r["operator"], set()).add(r["node"])
        on_node2 = {op for op, nodes in nodes_of.items() if "node2" in nodes}
        elsewhere = {op for op, nodes in nodes_of.items() if "node2" not in nodes}
        self.assertTrue(on_node2 and elsewhere, f"placement: {nodes_of}")
        self.b.get(CLUSTER.node1.url)
        def states():
            return {g.get_attribute("data-operator"): g.get_attribute("data-state")
                    for g in self.by("#graph-canvas g.node[data-operator]")}
        self.assertTrue(eventually(lambda: set(nodes_of) <= set(states()) and
                                   "unknown" not in states().values(), 10), states())
        CLUSTER.node2.signal(signal.SIGSTOP)  # alive to the kernel, silent to everyone
        try:
            stopped = time.monotonic()
            # Its operators' figures are unknown (not zero, not dead: it has not missed enough
            # heartbeats yet) ...
            self.assertTrue(eventually(lambda: any(states().get(op) == "unknown" for op in on_node2),
                                       HEARTBEAT_MS * HEARTBEAT_MISS / 1000.0 - 1.0, 0.05),
                            f"no operator of node2 shows unknown: {states()}")
            self.assertLess(time.monotonic() - stopped, HEARTBEAT_MS * HEARTBEAT_MISS / 1000.0)
            # ... the operators elsewhere are not, and the page keeps taking new snapshots.
            self.assertEqual({op: states()[op] for op in elsewhere if states()[op] == "unknown"}, {})
            taken = set()
            def new_snapshots():
                taken.add(self.one("#updated").get_attribute("data-snapshot-ns"))
                return len(taken) >= 3
            self.assertTrue(eventually(new_snapshots, 3.5, 0.1),
                            f"the page took {len(taken)} snapshots in 3.5 s with node2 stopped")
            self.assertNotIn("dead", states().values())
        finally:
            CLUSTER.node2.signal(signal.SIGCONT)
        self.assertTrue(eventually(lambda: "unknown" not in states().values(), 15), states())
        self.assert_no_console_errors()

    def test_5_a_killed_daemon_turns_red_within_two_heartbeats(self):
        self.b.get(CLUSTER.node1.url)
        self.tab("cluster")
        self.assertTrue(eventually(lambda: self.one('#nodes-table tr[data-node="node3"]')
                                   .get_attribute("data-state") == "alive", 10))
        hosted = CLUSTER.node1.cli("status", "image-analysis").stdout
        self.assertIn("node3", hosted, "nothing of image-analysis runs on node3 to lose")
        killed = time.monotonic()
        CLUSTER.node3.kill()
        red = eventually(lambda: self.one('#nodes-table tr[data-node="node3"]')
                         .get_attribute("data-state") == "dead", 2 * HEARTBEAT_MS / 1000.0 + 1.0, 0.02)
        elapsed = time.monotonic() - killed
        self.assertTrue(red, "node3 is not shown dead after the kill")
        # Within two heartbeat intervals of detection; the page polls once a second, so allow
        # one poll on top.
        self.assertLess(elapsed, 2 * HEARTBEAT_MS / 1000.0 + 1.0)
        # Since when it is dead: "N s ago", stamped by the node that answers.
        since = self.one('#nodes-table tr[data-node="node3"] td:nth-child(3)')
        self.assertTrue(eventually(lambda: since.text.endswith("ago"), 3), since.text)
        color = self.one('#nodes-table tr[data-node="node3"]').value_of_css_property("background-color")
        self.shot("ui-cluster.png")
        # Its replicas show as moved in the recoveries.
        self.assertTrue(eventually(lambda: "node3" in self.one("#recoveries").text, 5),
                        self.one("#recoveries").text)
        self.assertTrue(color, "no colour on the dead node's row")
        self.assert_no_console_errors()

    def test_6_a_graph_of_500_operators_is_drawn_and_usable(self):
        path = os.path.join(tempfile.mkdtemp(prefix="hogar_ui_"), "wide500.yaml")
        lines = ["graph: wide500", "inputs:", "  - {name: x, dtype: float32, shape: [4]}",
                 "operators:"]
        for i in range(500):
            source = "x" if i == 0 else f"op{(i - 1) // 2:03d}"
            lines.append(f"  - {{name: op{i:03d}, kind: identity, inputs: [{source}]}}")
        lines += ["outputs:"] + [f"  - {{name: out{i:03d}, from: op{i:03d}}}"
                                 for i in range(500) if 2 * i + 1 >= 500]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        out = CLUSTER.node1.cli("submit", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.b.get(CLUSTER.node1.url)
        from selenium.webdriver.support.ui import Select
        self.assertTrue(eventually(lambda: "wide500" in
                                   [o.text for o in Select(self.one("#graph-select")).options], 10))
        Select(self.one("#graph-select")).select_by_visible_text("wide500")
        self.assertTrue(eventually(lambda: len(self.by("#graph-canvas g.node[data-operator]")) == 500, 120),
                        f"{len(self.by('#graph-canvas g.node[data-operator]'))} operators drawn, not 500")
        # Finding one operator by name opens its detail.
        find = self.one("#op-find")
        find.send_keys("op321\n")
        self.assertTrue(eventually(lambda: self.one("#op-detail").is_displayed() and
                                   self.one("#op-detail").get_attribute("data-operator") == "op321", 10))
        self.assert_no_console_errors()


def make_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,800", "--user-data-dir=" + tempfile.mkdtemp(prefix="hogar_ui_chromium_")):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def missing_tools():
    """Why the browser test cannot run here, or None."""
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian's chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed"
    return None


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hogard", required=True)
    p.add_argument("--hogar", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--screenshots", default="")
    ARGS = p.parse_args()
    why = missing_tools()
    if why:
        print(f"SKIPPED: {why}; bash scripts/install-deps.sh installs it")
        return 77
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(BrowserCases)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())

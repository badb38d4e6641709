"""The playground's page in a real browser (Debian's Chromium driven by Playwright).

The server (``neuronless.web.server.create_app`` on uvicorn) runs in a thread on a free
loopback port; the page is driven like a user would: pick spiral, train, click a unit and an arrow, open the
matrices, upload a CSV, export each format, share the URL. Every wait is on page state, never a
sleep. Without Chromium or Playwright the tests skip, unless NEURONLESS_REQUIRE_BROWSER is set
(CI sets it), when they fail. NEURONLESS_PLAYGROUND_URL points them at a server already
running instead of starting one. Screenshots land in the test's tmp directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuronless

REQUIRE = os.environ.get("NEURONLESS_REQUIRE_BROWSER", "") not in ("", "0")
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
DATA = Path(__file__).parent / "data"
TIMEOUT = 60_000  # ms, for any wait on the page
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(why: str) -> None:
    if REQUIRE:
        pytest.fail(f"{why} (NEURONLESS_REQUIRE_BROWSER is set)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    given = os.environ.get("NEURONLESS_PLAYGROUND_URL")  # a server already running, to debug the page
    if given:
        yield given.rstrip("/")
        return
    try:
        import uvicorn

        from neuronless.web.server import create_app
    except ImportError as exc:
        _missing(f"the playground server cannot be imported: {exc}")
    port = _free_port()
    config = uvicorn.Config(create_app("127.0.0.1"), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="playground-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the playground server did not start")
        time.sleep(0.05)  # waiting for the port, not synchronising the page
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    if CHROMIUM is None:
        _missing("no Chromium at /usr/bin/chromium (Debian's chromium package)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=False, args=ARGS,
            viewport={"width": 1280, "height": 800}, accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        try:
            yield context
        finally:
            context.close()


class Page:
    """A tab on the playground that records console errors and warnings."""

    def __init__(self, context: Any, base: str) -> None:
        self.base = base
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "warning"):
            self.problems.append(f"console {msg.type}: {msg.text}")

    def open(self, query: str = "") -> None:
        self.page.goto(self.base + "/" + query)
        self.page.wait_for_function("() => window.playground && window.playground.ready && window.playground.state")

    def js(self, expr: str, arg: Any = None) -> Any:
        return self.page.evaluate(expr, arg)

    def wait(self, expr: str, arg: Any = None, timeout: float = TIMEOUT) -> None:
        self.page.wait_for_function(expr, arg=arg, timeout=timeout)

    def config(self) -> dict[str, Any]:
        return dict(self.js("() => window.playground.config"))

    def state(self) -> dict[str, Any]:
        return dict(self.js("() => window.playground.state"))

    def close(self) -> None:
        self.page.close()
        assert self.problems == [], self.problems


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[Page]:
    t = Page(browser, server)
    try:
        yield t
    finally:
        t.close()


SPIRAL = "?dataset=spiral&layers=8,8&activations=tanh,tanh&seed=0"


def _pick_spiral(tab: Page) -> None:
    tab.page.click("#datasets button[data-name=spiral]")
    tab.wait("() => window.playground.config.dataset === 'spiral'")


def _stroke_widths(tab: Page) -> list[str]:
    return list(tab.js("() => [...document.querySelectorAll('#diagram path.w')].map(p => p.getAttribute('stroke-width'))"))


def test_spiral_trains_and_draws(tab: Page, tmp_path: Path) -> None:
    # the page's own defaults (400 points, noise 0.1, 2-8-8-1 tanh, Adam 0.01): spiral learns
    tab.open("?dataset=moons")
    _pick_spiral(tab)
    tab.wait("() => document.querySelectorAll('#diagram path.w').length === 2*8 + 8*8 + 8")
    assert tab.state()["sizes"] == [2, 8, 8, 1]
    before = _stroke_widths(tab)
    first = tab.state()["test_loss"]
    assert first, "the first snapshot carries the starting test loss"
    start_loss = first[0][1]
    tab.page.click("#train")
    tab.wait("() => window.playground.state.running")
    # drawing keeps up while training: at least 20 diagram frames per second over 3 s (the best
    # of three windows, so one burst of load elsewhere on the machine does not decide it)
    seen = []
    for _ in range(3):
        frames, received = tab.js("""() => new Promise(done => {
            const pg = window.playground, f0 = pg.frames, s0 = pg.received;
            setTimeout(() => done([pg.frames - f0, pg.received - s0]), 3000); })""")
        seen.append(f"{frames} frames drawn, {received} snapshots received")
        if frames >= 60:
            break
    else:
        pytest.fail("fewer than 20 frames per second in every 3 s window: " + "; ".join(seen))
    tab.page.screenshot(path=str(tmp_path / "training-1280.png"))
    tab.wait("(start) => { const t = window.playground.state.test_loss;"
             " return t.length > 1 && Math.min(...t.map(p => p[1])) < 0.85 * start; }", start_loss,
             timeout=120_000)
    tab.wait("() => window.playground.state.metrics.test.accuracy >= 0.9", timeout=120_000)
    tab.page.click("#train")
    tab.wait("() => !window.playground.state.running && document.querySelector('#train').dataset.running === '0'")
    assert int(tab.page.inner_text("#epoch")) > 0
    assert _stroke_widths(tab) != before, "the diagram follows the weights"
    assert tab.js("() => document.querySelectorAll('#diagram canvas.unit').length") == 2 + 8 + 8 + 1
    assert "accuracy" in tab.page.inner_text("#metrics")
    assert tab.page.locator("#metrics table.confusion").count() == 1
    tab.page.screenshot(path=str(tmp_path / "trained-1280.png"), full_page=True)
    tab.page.set_viewport_size({"width": 420, "height": 800})
    tab.wait("() => document.querySelector('#diagram').clientWidth < 420")
    tab.page.screenshot(path=str(tmp_path / "trained-narrow.png"), full_page=True)
    tab.page.set_viewport_size({"width": 1280, "height": 800})
    print("screenshots in", tmp_path)


def test_unit_arrow_and_weight_edit(tab: Page) -> None:
    tab.open(SPIRAL)
    tab.page.click("#diagram canvas.unit[data-layer='1'][data-unit='2']")
    assert "bias" in tab.page.inner_text("#unit-info")
    shown = json.loads(tab.page.get_attribute("#unit-info", "data-column"))
    assert shown == [row[2] for row in tab.state()["weights"][0]], "the incoming weights, bias last"
    tab.page.dispatch_event("#diagram path.w[data-layer='1'][data-row='3'][data-col='5']", "click")
    assert not tab.page.locator("#weight-editor").is_hidden()
    assert float(tab.page.input_value("#weight-value")) == pytest.approx(tab.state()["weights"][1][3][5])
    tab.page.fill("#weight-value", "2.5")
    tab.page.click("#weight-editor button[type=submit]")
    tab.wait("() => window.playground.state.weights[1][3][5] === 2.5")
    tab.wait("() => document.querySelector(\"#diagram path.w[data-layer='1'][data-row='3'][data-col='5']\")"
             ".getAttribute('stroke') === 'rgb(224,123,0)'")


def _download(tab: Page, fmt: str, folder: Path) -> Path:
    with tab.page.expect_download() as info:
        tab.page.click(f"#export-{fmt}")
    path = folder / f"playground.{fmt}"
    info.value.save_as(str(path))
    return path


def test_matrices_match_explain(tab: Page, tmp_path: Path) -> None:
    tab.open(SPIRAL)
    tab.page.click("#step")
    tab.wait("() => window.playground.state.steps >= 1")
    net = neuronless.load(_download(tab, "nless", tmp_path))
    tab.page.fill("#ex-x", "0.3")
    tab.page.fill("#ex-y", "-0.2")
    tab.page.click("#explain")
    tab.page.wait_for_selector("#steps .step[data-kind=forward] table.matrix td")
    cell = tab.js("""() => { const s = document.querySelector('#steps .step[data-kind=forward]');
        const t = s.querySelector('table.matrix:last-of-type');
        return {layer: s.dataset.layer, name: t.dataset.name, v: Number(t.querySelector('td').dataset.v),
                text: t.querySelector('td').textContent}; }""")
    steps = json.loads(urllib.request.urlopen(
        tab.base + f"/api/{tab.js('() => window.playground.sid')}/explain?x=0.3&y=-0.2").read())["steps"]
    ours = neuronless.explain(net, np.asarray(_network_input(steps)))
    mine = next(s for s in ours if s.kind == "forward" and str(s.layer) == str(cell["layer"]))
    value = float(np.asarray(mine.arrays[cell["name"]]).ravel()[0])
    assert cell["v"] == pytest.approx(value, rel=1e-6, abs=1e-9)
    assert cell["text"] == f"{value:.4f}"


def _network_input(steps: list[dict[str, Any]]) -> Any:
    """The network's own (scaled) input in the server's explain steps."""
    forward = next(s for s in steps if s["kind"] == "forward")
    for name in ("a_prev", "a", "x"):
        if name in forward["arrays"]:
            return forward["arrays"][name]["values"]
    return next(iter(forward["arrays"].values()))["values"]


def test_upload_csv(tab: Page) -> None:
    tab.open()
    tab.page.set_input_files("#csv", str(DATA / "orchard.csv"))
    tab.wait("() => document.querySelectorAll('#target option').length > 3")
    tab.page.select_option("#target", "harvest")
    tab.page.click("#upload")
    tab.wait("() => document.querySelector('#notes').dataset.ready === '1'")
    state = tab.state()
    assert state["sizes"][0] > 2, "text columns become one-hot inputs"
    tab.page.click("#step")
    tab.wait("() => window.playground.state.steps >= 1")
    assert not tab.page.locator("#ex-row-label").is_hidden()


def test_diverging_run_shows_what_happened(tab: Page, tmp_path: Path) -> None:
    # a regression table (identity output) with plain SGD at learning rate 10 blows up in a
    # few steps; the page must stop and say so, not draw a grey picture
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    rows = ["a,b,y"] + [f"{a:.4f},{b:.4f},{3 * a - b * b:.4f}" for a, b in X]
    path = tmp_path / "regression.csv"
    path.write_text("\n".join(rows) + "\n")
    tab.open("?optimizer=sgd&learning_rate=10&layers=8&activations=identity")
    tab.page.set_input_files("#csv", str(path))
    tab.wait("() => document.querySelectorAll('#target option').length >= 3")
    tab.page.select_option("#target", "y")
    tab.page.click("#upload")
    tab.wait("() => window.playground.config.dataset === 'upload' && window.playground.state.task === 'regression'")
    tab.page.click("#train")
    tab.wait("() => !!window.playground.state.message", timeout=60_000)
    tab.wait("() => !window.playground.state.running && document.querySelector('#train').dataset.running === '0'")
    box = tab.page.locator("#message")
    assert box.is_visible()
    text = box.inner_text()
    assert "diverged" in text, text
    assert "Lower the learning rate (now 10)" in text, text
    assert "rmse" in tab.page.inner_text("#metrics").lower()  # the numbers are still drawn
    tab.page.screenshot(path=str(tmp_path / "diverged.png"), full_page=True)


def test_exports_load_back(tab: Page, tmp_path: Path) -> None:
    tab.open(SPIRAL)
    tab.page.click("#step")
    tab.wait("() => window.playground.state.steps >= 1")
    weights = tab.state()["weights"]
    net = neuronless.load(_download(tab, "nless", tmp_path))
    for k, w in enumerate(weights):
        np.testing.assert_allclose(np.asarray(net.weights[k]), np.asarray(w), atol=1e-6)  # JSON: 6 decimals
    import onnxruntime as ort

    session = ort.InferenceSession(str(_download(tab, "onnx", tmp_path)), providers=["CPUExecutionProvider"])
    assert session.get_outputs()
    from neuronless.fann.net import load_net

    assert load_net(_download(tab, "net", tmp_path)) is not None
    script = _download(tab, "py", tmp_path).read_text()
    compile(script, "playground.py", "exec")
    assert "neuronless" in script


def test_shared_url_reproduces_the_config(tab: Page, browser: Any) -> None:
    tab.open()
    tab.page.click("#datasets button[data-name=moons]")
    tab.wait("() => window.playground.config.dataset === 'moons'")
    tab.page.click("#add-layer")
    tab.wait("() => window.playground.config.layers.length === 3")
    tab.page.fill("#learning_rate", "0.01")
    tab.page.dispatch_event("#learning_rate", "change")
    tab.wait("() => window.playground.config.learning_rate === 0.01")
    tab.page.fill("#seed", "7")
    tab.page.dispatch_event("#seed", "change")
    tab.wait("() => window.playground.config.seed === 7 && location.search.includes('seed=7')")
    url, config, weights = tab.page.url, tab.config(), tab.state()["weights"]
    length = tab.js("() => history.length")
    assert length <= 2, "the URL is replaced, not pushed"
    other = Page(browser, tab.base)
    try:
        other.page.goto(url)
        other.wait("() => window.playground && window.playground.ready && window.playground.state")
        assert other.config() == config
        assert other.state()["weights"] == weights
    finally:
        other.close()


def test_hide_controls(tab: Page) -> None:
    tab.open("?hide=optimizer,data")
    tab.wait("() => window.playground.config.hide.length === 2")
    assert tab.page.locator("#optimizer").is_hidden()
    assert tab.page.locator("#datasets").is_hidden()
    assert tab.page.locator("#learning_rate").is_visible()



def test_rateless_optimizers_grey_out_the_learning_rate(tab: Page) -> None:
    tab.open("?optimizer=rprop")
    tab.wait("() => window.playground.config && window.playground.config.optimizer === 'rprop'")
    assert tab.page.locator("#learning_rate").is_disabled()
    assert tab.page.locator("#schedule").is_disabled()
    assert "adapts a step size per weight" in (tab.page.get_attribute("#learning_rate", "title") or "")
    tab.page.select_option("#optimizer", "adam")
    tab.wait("() => window.playground.config.optimizer === 'adam'")
    assert tab.page.locator("#learning_rate").is_enabled()
    assert "cosine" in tab.page.locator("#schedule option").all_inner_texts()

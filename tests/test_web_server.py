"""The playground's server through Starlette's TestClient: every endpoint, the caps, the guard."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # Starlette 1.x asks for httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import neuronless
from neuronless.errors import ConfigError
from neuronless.web.config import CAPS, Config, check_config
from neuronless.web.server import create_app
from neuronless.web.session import Session, Sessions, decimate

BASE = "http://127.0.0.1:8765"
ORIGIN = {"Origin": BASE}
SMALL = {"dataset": "xor", "n": 60, "layers": [4], "activations": ["tanh"], "batch_size": 10,
         "grid": 10}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app("127.0.0.1"), base_url=BASE) as c:
        yield c


def _session(client: TestClient, config: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    r = client.post("/api/session", json={"config": config or SMALL}, headers=ORIGIN)
    assert r.status_code == 200, r.text
    return r.json()["sid"], r.json()


# ----------------------------------------------------------------------------- config


def test_check_config_defaults_and_caps() -> None:
    c = check_config({})
    assert c == Config()
    assert check_config({"layers": [3, 3, 3]}).activations == ("tanh", "tanh", "tanh")
    assert check_config({"layers": [2]}, check_config({"activations": ["relu", "sigmoid"]})
                        ).activations == ("relu",)
    for bad in ({"n": 10**9}, {"n": 2.5}, {"learning_rate": float("nan")}, {"layers": [0]},
                {"layers": [4] * 7}, {"layers": [33]}, {"activations": ["rm -rf"]},
                {"optimizer": "lbfgs"}, {"dataset": "../etc/passwd"}, {"hide": ["<script>"]},
                {"grid": 1000}, {"seed": -1}, {"noise": True}, {"plane": [0]}, {"bogus": 1},
                {"layers": [2, 2], "activations": ["tanh"]}, {"loss": "hinge"}):
        with pytest.raises(ConfigError):
            check_config(bad)
    assert check_config({"schedule": "", "loss": None}).schedule is None


def test_decimate_keeps_at_most_the_limit() -> None:
    curve = [(i, float(i)) for i in range(5000)]
    out = decimate(curve, 500)
    assert len(out) <= 500
    assert out[0] == [0, 0.0]
    assert out[-1] == [4999, 4999.0]


# ----------------------------------------------------------------------------- the guard


def test_wrong_host_and_cross_site_origin_are_refused(client: TestClient) -> None:
    assert client.get("/api/datasets").status_code == 200
    r = client.get("/api/datasets", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403
    assert "Host" in r.json()["error"]
    r = client.post("/api/session", json={}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/api/session", json={}, headers={"Origin": "null"})
    assert r.status_code == 403
    assert client.post("/api/session", json={"config": SMALL}, headers=ORIGIN).status_code == 200


def test_body_size_caps(client: TestClient) -> None:
    sid, _ = _session(client)
    big = json.dumps({"hide": ["a" * 10] * 10000})
    r = client.post(f"/api/{sid}/config", content=big, headers={**ORIGIN,
                                                                  "Content-Type": "application/json"})
    assert r.status_code == 413
    blob = b"x," * (CAPS["upload_bytes"] // 2 + 10)
    r = client.post(f"/api/{sid}/upload", files={"file": ("a.csv", blob)}, data={"target": "x"},
                    headers=ORIGIN)
    assert r.status_code == 413
    assert client.get("/api/datasets").status_code == 200


def test_static_files_and_no_traversal(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    static = Path(neuronless.__file__).parent / "web" / "static"
    for name in (p.name for p in static.iterdir() if p.is_file()):
        assert client.get(f"/static/{name}").status_code == 200
    for bad in ("../server.py", "..%2fserver.py", "%2e%2e/config.py", "/etc/passwd",
                "..\\server.py", "nothing.js", "../../../../etc/passwd"):
        r = client.get(f"/static/{bad}")
        assert r.status_code == 404, bad
        assert "import" not in r.text


# ----------------------------------------------------------------------------- sessions


def test_datasets_and_session(client: TestClient) -> None:
    d = client.get("/api/datasets").json()
    assert d["builtin"] == ["circle", "xor", "gaussian", "spiral", "moons"]
    assert d["caps"]["sessions"] == 16
    sid, body = _session(client)
    state = body["state"]
    assert body["config"]["dataset"] == "xor"
    assert state["sizes"] == [2, 4, 1]
    assert state["task"] == "classification"
    assert state["epoch"] == 0
    assert len(state["grid"]["output"]) == 100
    assert len(state["grid"]["units"]) == 2
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 60
    assert client.post("/api/nope/step", headers=ORIGIN).status_code == 404
    r = client.post(f"/api/{sid}/config", json={"learning_rate": 1e9}, headers=ORIGIN)
    assert r.status_code == 400
    assert "learning_rate" in r.json()["error"]
    r = client.post(f"/api/{sid}/config", content=b"{nope", headers=ORIGIN)
    assert r.status_code == 400


def test_session_cap_and_idle_cleanup() -> None:
    now = [0.0]
    pool = Sessions(limit=2, idle=60.0, clock=lambda: now[0])
    with TestClient(create_app("127.0.0.1", sessions=pool), base_url=BASE) as c:
        a, _ = _session(c)
        _session(c)
        r = c.post("/api/session", json={"config": SMALL}, headers=ORIGIN)
        assert r.status_code == 429
        assert "sessions" in r.json()["error"]
        now[0] = 30.0
        assert c.post(f"/api/{a}/step", headers=ORIGIN).status_code == 200  # a is seen again
        now[0] = 70.0  # the other one idle for 70 s: dropped
        _session(c)
        assert len(pool) == 2
        now[0] = 200.0
        assert c.post(f"/api/{a}/step", headers=ORIGIN).status_code == 404


def test_multiclass_and_regression_metrics() -> None:
    s = Session(check_config({"dataset": "spiral", "n": 100, "grid": 10}))
    assert s.snapshot()["sizes"][-1] == 1  # two classes: one sigmoid unit
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    prep = neuronless.pipeline.prepare({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2],
                                        "k": np.array(["p", "q", "r"] * 20)}, "k")
    s.set_upload(prep, "", "k", s.config)
    snap = s.snapshot()
    assert snap["sizes"][-1] == 3
    assert np.asarray(snap["grid"]["output"]).shape == (100, 3)
    assert np.asarray(snap["metrics"]["test"]["confusion"]).shape == (3, 3)
    assert s.run.trainer.loss.name == "cross_entropy"
    prep = neuronless.pipeline.prepare({"a": X[:, 0], "b": X[:, 1], "y": X[:, 0] - X[:, 2]}, "y")
    s.set_upload(prep, "", "y", s.config)
    m = s.snapshot()["metrics"]["test"]
    assert set(m) == {"r2", "rmse"}


# ----------------------------------------------------------------------------- training


def test_steps_reset_and_thread_are_deterministic(client: TestClient) -> None:
    sid, body = _session(client)
    first = body["state"]["weights"]
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    start = [W.copy() for W in s.run.model.net.weights]
    for _ in range(7):
        state = client.post(f"/api/{sid}/step", headers=ORIGIN).json()["state"]
    assert state["steps"] == 7
    assert state["epoch"] == 1
    stepped = [W.copy() for W in s.run.model.net.weights]
    r = client.post(f"/api/{sid}/reset", json={"keep_curve": True}, headers=ORIGIN).json()
    assert r["state"]["weights"] == first
    assert r["state"]["steps"] == 0
    assert r["state"]["previous_test_loss"]
    for a, b in zip(s.run.model.net.weights, start, strict=True):
        assert np.array_equal(a, b)  # bit for bit
    assert client.post(f"/api/{sid}/train", headers=ORIGIN).json() == {"running": True}
    deadline = time.monotonic() + 20
    while s.run.steps < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    with s.lock:  # the thread's first seven steps are the ones taken by hand
        s.running = False
    s.stop()
    assert client.post(f"/api/{sid}/pause", headers=ORIGIN).json() == {"running": False}
    replay = Session(s.config)
    for _ in range(s.run.steps):
        replay.step()
    for a, b in zip(s.run.model.net.weights, replay.run.model.net.weights, strict=True):
        assert np.array_equal(a, b)
    check = Session(s.config)
    for _ in range(7):
        check.step()
    for a, b in zip(check.run.model.net.weights, stepped, strict=True):
        assert np.array_equal(a, b)


def test_weight_edit_shows_in_next_snapshot(client: TestClient) -> None:
    sid, body = _session(client)
    before = body["state"]
    r = client.post(f"/api/{sid}/weight", json={"layer": 1, "row": 4, "col": 0, "value": 5.0},
                    headers=ORIGIN)
    after = r.json()["state"]
    assert after["weights"][1][4][0] == 5.0
    assert after["grid"]["output"] != before["grid"]["output"]
    for bad in ({"layer": 9, "row": 0, "col": 0, "value": 1}, {"layer": 0, "row": 0, "col": 0,
                                                                "value": "x"},
                {"layer": 0, "row": 99, "col": 0, "value": 1}, {"layer": 0, "row": 0, "col": 0,
                                                                 "value": 1e300}):
        assert client.post(f"/api/{sid}/weight", json=bad, headers=ORIGIN).status_code == 400


def test_diverging_run_stops_with_a_message() -> None:
    s = Session(check_config({"dataset": "gaussian", "n": 60, "grid": 10}))
    X = np.random.default_rng(1).normal(size=(80, 2))
    prep = neuronless.pipeline.prepare({"a": X[:, 0], "b": X[:, 1], "y": 3 * X[:, 0]}, "y")
    s.set_upload(prep, "", "y", check_config({"optimizer": "sgd", "learning_rate": 10.0,
                                              "layers": [8], "activations": ["relu"]}, s.config))
    s.start()
    deadline = time.monotonic() + 20
    while s.running and time.monotonic() < deadline:
        time.sleep(0.01)
    snap = s.snapshot()
    assert not snap["running"]
    assert "diverged" in snap["message"]
    assert "learning rate" in snap["message"]
    assert np.isfinite(s.run.model.net.params).all()
    json.dumps(snap, allow_nan=False)


def test_events_stream_snapshots(client: TestClient) -> None:
    sid, _ = _session(client)
    with client.stream("GET", f"/api/{sid}/events?frames=1") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    frames = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert len(frames) == 1
    assert json.loads(frames[0])["sizes"] == [2, 4, 1]


# ----------------------------------------------------------------------------- explain, exports


def test_explain_equals_the_library(client: TestClient) -> None:
    sid, _ = _session(client)
    client.post(f"/api/{sid}/step", headers=ORIGIN)
    got = client.get(f"/api/{sid}/explain?x=0.25&y=-0.5").json()
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    x = s.run.model.scaler.transform(np.array([[0.25, -0.5]]))[0]
    steps = neuronless.explain(s.run.model.net, x, loss=s.run.trainer.loss, model=s.run.model)
    assert got == json.loads(neuronless.render(steps, "json"))
    assert got["steps"][0]["kind"] == "forward"
    row = client.get(f"/api/{sid}/explain?row=3").json()
    assert any(st["kind"] != "forward" for st in row["steps"])  # with its target: backward too
    assert client.get(f"/api/{sid}/explain?row=9999").status_code == 400
    assert client.get(f"/api/{sid}/explain?x=nan&y=1").status_code == 400


def test_exports_load_back(client: TestClient, tmp_path: Path) -> None:
    sid, _ = _session(client)
    for _ in range(5):
        client.post(f"/api/{sid}/step", headers=ORIGIN)
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    X = s.run.X_test
    raw = s.prep.X[s.run.test_rows]
    files = {}
    for fmt in ("nless", "net", "onnx", "py"):
        r = client.get(f"/api/{sid}/export/{fmt}")
        assert r.status_code == 200, r.text
        files[fmt] = tmp_path / f"playground.{fmt}"
        files[fmt].write_bytes(r.content)
    net = neuronless.load(files["nless"])
    for a, b in zip(net.weights, s.run.model.net.weights, strict=True):
        assert np.array_equal(a, b)
    model, _ = neuronless.Model.load(files["nless"])
    assert np.array_equal(model.predict_proba(raw), s.run.model.predict_proba(raw))
    from neuronless.fann import load_net

    fnet = load_net(files["net"], dtype=np.float64)
    out = fnet.run(X)
    np.testing.assert_allclose(out, s.run.model.net.forward(X), atol=1e-5)
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(files["onnx"]), providers=["CPUExecutionProvider"])
    feeds = {i.name: raw[:, [k]].astype(np.float64 if "double" in i.type else np.float32)
             for k, i in enumerate(sess.get_inputs())}
    label = sess.run(None, feeds)[0]
    assert np.array_equal(np.asarray(label).ravel(), s.run.model.predict(raw).ravel())
    assert client.get(f"/api/{sid}/export/exe").status_code == 404


@pytest.mark.parametrize("optimizer", ["adam", "rprop", "sarprop", "incremental", "batch"])
def test_script_reproduces_the_run(client: TestClient, tmp_path: Path, optimizer: str) -> None:
    sid, _ = _session(client, {**SMALL, "schedule": "cosine", "optimizer": optimizer})
    for _ in range(4):
        client.post(f"/api/{sid}/step", headers=ORIGIN)
    client.post(f"/api/{sid}/weight", json={"layer": 0, "row": 0, "col": 1, "value": -2.0},
                headers=ORIGIN)
    for _ in range(9):
        client.post(f"/api/{sid}/step", headers=ORIGIN)
    script = tmp_path / "playground.py"
    script.write_bytes(client.get(f"/api/{sid}/export/py").content)
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=True, capture_output=True)
    model, _ = neuronless.Model.load(tmp_path / "playground-run.nless")
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    for a, b in zip(model.net.weights, s.run.model.net.weights, strict=True):
        assert np.array_equal(a, b)


# ----------------------------------------------------------------------------- uploads


def _upload(client: TestClient, sid: str, content: bytes, target: str | None = "y",
            name: str = "data.csv") -> Any:
    data = {} if target is None else {"target": target}
    return client.post(f"/api/{sid}/upload", files={"file": (name, content, "text/csv")},
                       data=data, headers=ORIGIN)


def test_upload_csv_with_text_and_missing_cells(client: TestClient) -> None:
    sid, _ = _session(client)
    rows = ["a,b,colour,y"] + [f"{i % 7},{'' if i % 5 == 0 else i * 0.1},"
                               f"{['red', 'green', 'blue'][i % 3]},{'yes' if i % 2 else 'no'}"
                               for i in range(80)]
    r = _upload(client, sid, "\n".join(rows).encode())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["config"]["dataset"] == "upload"
    assert len(body["columns"]) > 3
    assert body["state"]["sizes"][0] == len(body["columns"])
    assert len(body["state"]["grid"]["output"]) == 100
    assert client.get(f"/api/{sid}/explain?row=2").status_code == 200
    r = client.post(f"/api/{sid}/config", json={"plane": [0, 2]}, headers=ORIGIN)
    assert r.status_code == 200
    assert client.post(f"/api/{sid}/config", json={"plane": [0, 200]},
                       headers=ORIGIN).status_code == 400
    assert client.post(f"/api/{sid}/step", headers=ORIGIN).status_code == 200
    script = client.get(f"/api/{sid}/export/py").text
    assert "CSV = " in script


@pytest.mark.parametrize(("content", "target", "words"), [
    (bytes(range(256)) * 40, "y", "binary"),
    (b"a,y\n" + b"1" * (2 * 1024 * 1024) + b",2\n", "y", "line"),
    ("a,y\n1,caf\u00e9\n2,th\u00e9\n".encode("latin-1"), "y", "UTF-8"),
    (b"a,y\n1,2\n3,4\n", None, "target"),
    (b"a,y\n1,2\n3,4\n", "nope", "nope"),
    (b"", "y", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "y", "binary"),
])
def test_bad_uploads_give_one_clear_message(client: TestClient, content: bytes,
                                            target: str | None, words: str) -> None:
    sid, _ = _session(client)
    r = _upload(client, sid, content, target)
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    assert words in message
    assert "\n" not in message
    assert "/tmp" not in message
    assert client.post(f"/api/{sid}/step", headers=ORIGIN).status_code == 200  # still up
    assert client.post(f"/api/{sid}/upload", content=b"x", headers={
        **ORIGIN, "Content-Type": "text/plain"}).status_code == 400


def test_utf16_upload_is_read(client: TestClient) -> None:
    sid, _ = _session(client)
    text = "a,b,y\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(40))
    r = _upload(client, sid, text.encode("utf-16"))
    assert r.status_code == 200, r.text


# ----------------------------------------------------------------------------- the command


def test_cli_refuses_a_bad_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from neuronless.cli import main

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    assert main(["playground", str(bad), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "binary" in err
    assert len(err.strip().splitlines()) == 1


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serves_a_data_file_and_opens_the_browser(tmp_path: Path) -> None:
    """The real command in its own process: uvicorn on a loopback port, orchard.csv as the
    starting data, and the URL handed to the browser named by $BROWSER (a script here)."""
    import os
    import signal
    import urllib.error
    import urllib.request

    port = _free_port()
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n")
    env = {**os.environ, "BROWSER": f"{sys.executable} {browser} %s"}
    data = Path(__file__).parent / "data" / "orchard.csv"
    proc = subprocess.Popen([sys.executable, "-m", "neuronless", "playground", str(data),
                             "--target", "harvest", "--port", str(port)], env=env,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as resp:
                    page = resp.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        assert "<html" in page.lower() or "<!doctype" in page.lower()
        req = urllib.request.Request(base + "/api/session", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Origin": base})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = json.loads(resp.read())
        assert body["config"]["dataset"] == "upload"  # the DATA file, not a built-in set
        names = body["state"]["inputs"]
        assert any(n.startswith("variety=") for n in names), names  # the text column, one-hot
        while not opened.exists():
            assert time.monotonic() < deadline, "the browser was not opened"
            time.sleep(0.1)
        assert opened.read_text().strip() == base + "/"
        refused = urllib.request.Request(base + "/api/datasets", headers={"Host": "evil.test"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(refused, timeout=10)
        assert err.value.code == 403
        err.value.close()
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert f"serving {base}/" in stderr
    assert "warning" not in stderr  # loopback: no warning


def test_cli_warns_when_not_loopback(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A non-loopback --host prints one warning before serving (uvicorn.run is replaced by a
    recorder so the test never listens beyond this machine)."""
    import uvicorn

    from neuronless.cli import main

    served: list[tuple[str, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: served.append((host, port)))
    assert main(["playground", "--host", "0.0.0.0", "--port", "9999", "--no-browser"]) == 0
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0" in err
    assert served == [("0.0.0.0", 9999)]
    assert main(["playground", "--host", "::1", "--port", "9998", "--no-browser"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_net_export_refuses_softmax_and_keeps_scaling(client: TestClient, tmp_path: Path) -> None:
    from neuronless.fann import load_net

    sid, _ = _session(client)
    rows = ["a,b,k"] + [f"{i % 7},{i * 0.37:.2f},{'pqr'[i % 3]}" for i in range(60)]
    assert _upload(client, sid, "\n".join(rows).encode(), target="k").status_code == 200
    r = client.get(f"/api/{sid}/export/net")
    assert r.status_code == 400
    assert "softmax" in r.json()["error"]
    assert ".net" in r.json()["error"]
    rows = ["a,b,y"] + [f"{i % 7},{i * 0.37:.2f},{i * 1.5 + 3}" for i in range(60)]  # regression
    assert _upload(client, sid, "\n".join(rows).encode(), target="y").status_code == 200
    client.post(f"/api/{sid}/step", headers=ORIGIN)
    path = tmp_path / "r.net"
    path.write_bytes(client.get(f"/api/{sid}/export/net").content)
    fnet = load_net(path, dtype=np.float64)
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    raw = s.prep.X[:10]
    ours = s.run.model.target_scaler.inverse_transform(
        s.run.model.net.forward(s.run.model.scaler.transform(raw)))
    theirs = fnet.scaling.descale_output(fnet.run(fnet.scaling.scale_input(raw)))
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4)  # FANN prints 6 decimals


def test_unit_heatmaps_are_the_networks_outputs() -> None:
    import base64

    s = Session(check_config({**SMALL, "layers": [3, 2], "activations": ["relu", "tanh"]}))
    for _ in range(20):
        s.step()
    grid = s.snapshot()["grid"]
    x0, x1, y0, y1 = grid["extent"]
    gx, gy = np.meshgrid(np.linspace(x0, x1, 10), np.linspace(y0, y1, 10))
    X = s.run.model.scaler.transform(np.column_stack([gx.ravel(), gy.ravel()]))
    trace = s.run.model.net.trace(X)
    for k, layer in enumerate(trace.layers):
        for u, h in enumerate(grid["units"][k]):
            q = np.frombuffer(base64.b64decode(h["q"]), dtype=np.int8)
            expect = layer.a[:, u]
            assert h["scale"] == pytest.approx(max(1.0, np.abs(expect).max()), rel=1e-5)
            np.testing.assert_allclose(q / 127 * h["scale"], expect, atol=h["scale"] / 254 + 1e-9)


@pytest.mark.parametrize("optimizer", CAPS["optimizers"])
def test_every_optimizer_steps(client: TestClient, optimizer: str) -> None:
    sid, body = _session(client, {**SMALL, "optimizer": optimizer, "schedule": "cosine"})
    before = body["state"]["weights"]
    for _ in range(3):
        r = client.post(f"/api/{sid}/step", headers=ORIGIN)
        assert r.status_code == 200, r.text
    assert r.json()["state"]["steps"] == 3
    assert r.json()["state"]["weights"] != before
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    if optimizer in CAPS["rateless"]:  # no learning rate, no schedule: the pipeline's rule
        assert s.run.schedule is None
    else:
        assert s.run.schedule is not None
    n_train = len(s.run.train_rows)
    assert s.run.batch_size == {"incremental": 1, "batch": n_train}.get(optimizer, 10)


@pytest.mark.parametrize("schedule", CAPS["schedules"])
def test_every_schedule_is_the_pipelines(client: TestClient, schedule: str) -> None:
    from neuronless.pipeline import Recipe
    from neuronless.web.config import SCHEDULE_EPOCHS

    sid, _ = _session(client, {**SMALL, "schedule": schedule, "learning_rate": 0.05})
    s = client.app.state.sessions.get(sid)  # type: ignore[attr-defined]
    ref = Recipe(schedule=schedule, learning_rate=0.05, epochs=SCHEDULE_EPOCHS).make_schedule()
    assert ref is not None
    assert [s.run.schedule(e) for e in (0, 7, 250)] == [ref(e) for e in (0, 7, 250)]
    assert s.run.schedule(250) < 0.05

"""The playground's HTTP server: the API of docs/playground-api.md on Starlette.

Contract: :func:`create_app` returns an ASGI app whose every request first passes
:class:`Guard` (Host, Origin and body size, in one place); handlers parse and check their
input, call a :class:`~neuronless.web.session.Session` in a worker thread and answer JSON
(errors as ``{"error": sentence}``). Only files the package ships in ``web/static/`` are
served, by bare name; no request names a path on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import socket
from collections.abc import AsyncIterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ConfigError
from ..pipeline import Prepared
from .config import BUILTIN, CAPS, UPLOAD, Config, check_config
from .exports import FORMATS, export_bytes
from .session import Session, SessionError, Sessions
from .upload import read_upload

STATIC = Path(__file__).parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
_STATIC_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
          ".ico": "image/x-icon", ".json": "application/json"}
PLACEHOLDER = ("<!doctype html><meta charset=utf-8><title>neuronless playground</title>"
               "<p>The playground page is not installed; the API is at /api/datasets.")


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": " ".join(message.split())}, status_code=status)


def allowed_hosts(host: str) -> set[str]:
    """Host names a request may carry: the loopback names and the one the server binds."""
    names = {*LOOPBACK, host.lower()}
    if host in ("0.0.0.0", "::", ""):  # every interface: this machine's own names too
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return names


def _host_name(value: str) -> str:
    """``name[:port]`` -> name (IPv6 literals keep their brackets)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[:value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """The one middleware: Host and Origin checked on every request, bodies capped.

    ``Host`` must name this server (stops DNS rebinding); an ``Origin``, when sent, must be
    this server's own origin, and one of ``null`` or another site is refused (stops other
    sites' pages posting to it). Bodies: uploads ``CAPS["upload_bytes"]``, anything else
    ``CAPS["json_bytes"]``; a larger one is a 413 before any handler sees it.
    """

    def __init__(self, app: ASGIApp, hosts: set[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if _host_name(host) not in self.hosts:
            await _error(f"Host {host!r} is not this playground's; open it at "
                         "http://127.0.0.1:<port>/ (or the --host it was started with).",
                         403)(scope, receive, send)
            return
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in (f"http://{host.lower()}",
                                                         f"https://{host.lower()}"):
            await _error(f"requests from {origin!r} are refused: only the playground's own page "
                         "may call its API.", 403)(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        cap = CAPS["upload_bytes"] if scope["path"].endswith("/upload") else CAPS["json_bytes"]
        too_big = _error(f"the request body is larger than {cap} bytes, the most this endpoint "
                         "takes.", 413)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            await too_big(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await too_big(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SessionError(f"the request body is not JSON ({exc}); send a JSON object.") from exc


def _field(d: Any, key: str, kind: type) -> Any:
    v = d.get(key) if isinstance(d, dict) else None
    ok = isinstance(v, kind) and not isinstance(v, bool) if kind is not bool else \
        isinstance(v, bool)
    if kind is float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok:
        raise SessionError(f"{key} must be {'a finite number' if kind is float else kind.__name__};"
                           f" got {v!r}.")
    return v


def create_app(host: str = "127.0.0.1", *, data: tuple[Prepared, str, str] | None = None,
               sessions: Sessions | None = None) -> Starlette:
    """The playground app; ``data`` (rows, CSV text, target) starts every session on it."""
    pool = sessions if sessions is not None else Sessions()

    async def session_of(request: Request) -> Session:
        return pool.get(request.path_params["sid"])

    async def index(request: Request) -> Response:
        page = STATIC / "index.html"
        if page.is_file():
            return FileResponse(page, media_type=_TYPES[".html"])
        return HTMLResponse(PLACEHOLDER)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        known = {p.name for p in STATIC.iterdir() if p.is_file()} if STATIC.is_dir() else set()
        if not _STATIC_NAME.match(name) or name not in known:
            return _error(f"no static file {name!r}; the page's files are "
                          f"{', '.join(sorted(known)) or 'not installed'}.", 404)
        path = STATIC / name
        return FileResponse(path, media_type=_TYPES.get(path.suffix, "application/octet-stream"))

    async def datasets(request: Request) -> Response:
        return JSONResponse({"builtin": list(BUILTIN), "caps": CAPS})

    def _reply(session: Session, **extra: Any) -> JSONResponse:
        state = json.loads(session.snapshot_json())
        return JSONResponse({"sid": session.sid, "config": session.config.as_dict(),
                             "state": state, **extra})

    async def new_session(request: Request) -> Response:
        body = await _json_body(request)
        given = body.get("config", {}) if isinstance(body, dict) else body
        config = check_config(given or {})
        if data is None and config.dataset == UPLOAD:
            config = check_config({"dataset": Config.dataset}, config)

        def make() -> Session:
            session = pool.create(config if data is None else
                                  check_config({"dataset": "spiral"}, config))
            if data is not None and (config.dataset == UPLOAD or "dataset" not in (given or {})):
                session.set_upload(*data, config=session.config)
            return session

        session = await run_in_threadpool(make)
        return _reply(session)

    async def set_config(request: Request) -> Response:
        session = await session_of(request)
        body = await _json_body(request)
        config = check_config(body, session.config)
        await run_in_threadpool(session.set_config, config)
        return _reply(session)

    async def upload(request: Request) -> Response:
        session = await session_of(request)
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise SessionError("upload a CSV as multipart/form-data with fields 'file' and "
                               "'target'.", 400)
        body = await request.body()
        msg = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
        fields: dict[str, tuple[bytes, str]] = {}
        if msg.is_multipart():
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    fields[name] = (payload, str(part.get_filename() or ""))
        if "file" not in fields:
            raise SessionError("the upload has no 'file' field; choose a CSV file first.")
        target = fields.get("target", (b"", ""))[0].decode("utf-8", "replace")
        raw, filename = fields["file"]
        prep, text = await run_in_threadpool(read_upload, raw, filename, target)
        await run_in_threadpool(session.set_upload, prep, text, target.strip(), session.config)
        return _reply(session, columns=[*prep.feature_names], notes=list(prep.notes))

    async def train(request: Request) -> Response:
        session = await session_of(request)
        await run_in_threadpool(session.start)
        return JSONResponse({"running": session.running})

    async def pause(request: Request) -> Response:
        session = await session_of(request)
        await run_in_threadpool(session.stop)
        return JSONResponse({"running": False})

    async def step(request: Request) -> Response:
        session = await session_of(request)
        if session.running:
            raise SessionError("training is running; pause it before stepping.", 409)
        await run_in_threadpool(session.step)
        return _reply(session)

    async def reset(request: Request) -> Response:
        session = await session_of(request)
        body = await _json_body(request)
        keep = body.get("keep_curve", False) if isinstance(body, dict) else False
        if not isinstance(keep, bool):
            raise SessionError(f"keep_curve must be true or false; got {keep!r}.")
        await run_in_threadpool(session.reset, keep)
        return _reply(session)

    async def weight(request: Request) -> Response:
        session = await session_of(request)
        body = await _json_body(request)
        layer, row, col = (_field(body, k, int) for k in ("layer", "row", "col"))
        value = float(_field(body, "value", float))
        if abs(value) > 1e6:
            raise SessionError(f"a weight must be from -1e6 to 1e6; got {value!r}.")
        await run_in_threadpool(session.set_weight, layer, row, col, value)
        return _reply(session)

    async def explain(request: Request) -> Response:
        session = await session_of(request)
        q = request.query_params
        point, row = None, None
        try:
            if "row" in q:
                row = int(q["row"])
            elif "x" in q and "y" in q:
                point = (float(q["x"]), float(q["y"]))
                if not all(math.isfinite(v) for v in point):
                    raise ValueError
        except ValueError as exc:
            raise SessionError("explain takes ?x=..&y=.. (finite numbers) or ?row=N (a whole "
                               f"number); got {dict(q)!r}.") from exc
        text = await run_in_threadpool(session.explain_json, point, row)
        return Response(text, media_type="application/json")

    async def events(request: Request) -> Response:
        session = await session_of(request)
        limit_text = request.query_params.get("frames", "")
        limit = int(limit_text) if limit_text.isdigit() else 0
        period = 1.0 / CAPS["frames_per_second"]

        async def stream() -> Any:
            sent, frames, quiet = -1, 0, 0.0
            loop = asyncio.get_running_loop()
            deadline = loop.time()
            while True:
                began = loop.time()
                if await request.is_disconnected():
                    return
                if session.version != sent:
                    sent = session.version
                    text = await run_in_threadpool(session.snapshot_json)
                    yield f"data: {text}\n\n"
                    frames, quiet = frames + 1, 0.0
                    if limit and frames >= limit:
                        return
                elif quiet > 15.0:
                    yield ": keep-alive\n\n"
                    quiet = 0.0
                session.last_seen = pool.clock()
                # frames on a fixed beat of `period` (<= 30 a second): the time a snapshot took
                # comes out of the wait, and a late frame starts the beat again from now
                deadline = max(deadline + period, loop.time())
                await asyncio.sleep(deadline - loop.time())
                quiet += loop.time() - began

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def export(request: Request) -> Response:
        session = await session_of(request)
        fmt = request.path_params["fmt"]
        content = await run_in_threadpool(export_bytes, session, fmt)
        return Response(content, media_type=FORMATS[fmt], headers={
            "Content-Disposition": f'attachment; filename="playground.{fmt}"'})

    async def refused(request: Request, exc: Exception) -> Response:
        status = exc.status if isinstance(exc, SessionError) else 400
        return _error(str(exc), status)

    async def failed(request: Request, exc: Exception) -> Response:
        return _error(f"the server failed on this request ({type(exc).__name__}: {exc}); the "
                      "session is still there: try again or press Reset.", 500)

    routes = [
        Route("/", index),
        Route("/static/{name:path}", static),
        Route("/api/datasets", datasets),
        Route("/api/session", new_session, methods=["POST"]),
        Route("/api/{sid}/config", set_config, methods=["POST"]),
        Route("/api/{sid}/upload", upload, methods=["POST"]),
        Route("/api/{sid}/train", train, methods=["POST"]),
        Route("/api/{sid}/pause", pause, methods=["POST"]),
        Route("/api/{sid}/step", step, methods=["POST"]),
        Route("/api/{sid}/reset", reset, methods=["POST"]),
        Route("/api/{sid}/weight", weight, methods=["POST"]),
        Route("/api/{sid}/explain", explain),
        Route("/api/{sid}/events", events),
        Route("/api/{sid}/export/{fmt}", export),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(pool.close)  # stops every training thread

    app = Starlette(routes=routes, exception_handlers={
        SessionError: refused, ConfigError: refused, Exception: failed}, lifespan=lifespan)
    app.add_middleware(Guard, hosts=allowed_hosts(host))
    app.state.sessions = pool
    return app

"""``neuronless playground``: serve the playground page and its API on this machine.

Contract: :func:`run` (the verb; its arguments are parsed in :mod:`neuronless.cli`) checks the extra is installed, reads
the optional DATA file through the upload checks (so a bad file is one line and exit code 2),
warns when the address is not loopback, opens the browser unless ``--no-browser`` and serves
until interrupted.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import sys
import threading
import webbrowser
from pathlib import Path

from ..errors import DataError


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..web.server import create_app
    except ImportError as exc:
        raise DataError(f"the playground needs the web extra ({exc.name} is missing): pip "
                        "install 'neuronless[web]'.") from exc
    from ..web.config import CAPS
    from ..web.upload import read_upload

    data = None
    if args.data is not None:
        path = Path(args.data)
        cap = CAPS["upload_bytes"]
        if path.is_file() and path.stat().st_size > cap:
            raise DataError(f"{path} has {path.stat().st_size} bytes, more than the {cap} the "
                            "playground takes (as for an upload); give it a sample of the rows.")
        raw = path.read_bytes()
        target = args.target
        if target is None:  # the last column of the header row, read as CSV
            header = raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace").strip()
            names = next(csv.reader([header]), []) if header else []
            target = names[-1].strip() if names else ""
        try:
            prep, text = read_upload(raw, path.name, target)
        except Exception as exc:  # one line, as every CLI mistake
            raise DataError(str(exc)) from exc
        data = (prep, text, target)
    if not _loopback(args.host):
        print(f"neuronless playground: warning: listening on {args.host}, not only this "
              "machine: anyone who can reach it can use the playground (train, upload, export).",
              file=sys.stderr)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/"
    print(f"neuronless playground: serving {url} (Ctrl+C stops it)", file=sys.stderr)
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    uvicorn.run(create_app(args.host, data=data), host=args.host, port=args.port,
                log_level="warning")
    return 0

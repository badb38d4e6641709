"""A session's model as a file: ``.nless``, FANN ``.net``, ``.onnx`` or a Python script.

Contract: :func:`export_bytes` writes the session's current model with the library's own
writers (:meth:`~neuronless.model.Model.save`, :func:`neuronless.fann.save_net`,
:func:`neuronless.onnx.export`) into a private temporary directory and returns the bytes; the
script (:func:`script`) rebuilds the same rows with :mod:`neuronless.web.data`, the same model
with :func:`~neuronless.pipeline.build_model`, replays the same mini-batches and weight edits
and saves the result, so running it reproduces the run's final weights bit for bit.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from ..errors import ConfigError
from .config import UPLOAD
from .session import Session, SessionError

FORMATS = {"nless": "application/octet-stream", "net": "text/plain; charset=utf-8",
           "onnx": "application/octet-stream", "py": "text/x-python; charset=utf-8"}
#: an uploaded CSV is written into the script only up to this size
SCRIPT_CSV_BYTES = 2 * 1024 * 1024


def export_bytes(session: Session, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise SessionError(f"export format must be one of {', '.join(FORMATS)}; got {fmt!r}.", 404)
    if fmt == "py":
        return script(session).encode()
    with session.lock:
        model = dataclasses.replace(session.run.model, net=session.run.model.net.copy())
        model.info = {"playground": session.config.as_dict(), "epoch": session.run.epoch,
                      "steps": session.run.steps}
    with tempfile.TemporaryDirectory(prefix="neuronless-playground-") as tmp:
        path = Path(tmp) / f"playground.{fmt}"
        try:
            if fmt == "nless":
                model.save(path)
            elif fmt == "net":  # the page's scaling goes into FANN's scale_* parameters
                from ..fann import save_net
                from ..fann.net import FannScaling

                scaling = None
                if model.scaler is not None or model.target_scaler is not None:
                    scaling = FannScaling.from_scalers(model.scaler, model.target_scaler,
                                                       model.net.n_inputs, model.net.n_outputs)
                save_net(model.net, path, scaling=scaling)
            else:
                try:
                    from ..onnx import export
                except ImportError as exc:
                    raise SessionError("ONNX export needs the onnx extra: pip install "
                                       "'neuronless[onnx]'.") from exc
                export(model, path)
        except ConfigError as exc:
            raise SessionError(f"cannot write .{fmt}: {exc}") from exc
        return path.read_bytes()


_SCRIPT = '''"""Reproduce a neuronless playground run: {steps} mini-batches ({epoch} epochs).

Run it with `python {name}`; it prints the final training loss and saves the model
as playground-run.nless. Written by `neuronless playground`.
"""

import numpy as np

from neuronless.pipeline import Options, build_model, prepare
from neuronless.training import Trainer
from neuronless.web.config import check_config
from neuronless.web.data import builtin_table, split_rows
from neuronless.web.session import encode_targets, recipe_of

CONFIG = {config!r}
STEPS = {steps!r}
# weight edits made on the page: (steps taken before it, layer, row, col, value)
EDITS = {edits!r}
{data}
train_rows, test_rows = split_rows(len(prep.targets), CONFIG["train_fraction"], CONFIG["seed"])
# the page's settings as the pipeline's recipe (FANN's incremental and batch modes are SGD on
# one row or every training row; Rprop and SARPROP take no learning rate or schedule)
recipe = recipe_of(check_config(CONFIG), len(train_rows))
batch_size = int(recipe.batch_size or len(train_rows))
model = build_model(prep, recipe, Options(loss=CONFIG["loss"], seed=CONFIG["seed"],
                                          dtype=np.float64), train_rows)
X = np.ascontiguousarray(model.scaler.transform(prep.X[train_rows]), dtype=np.float64)
Y = encode_targets(model, prep.targets[train_rows])
trainer = Trainer(model.net, CONFIG["loss"], recipe.make_optimizer(),
                  batch_size=batch_size, l2=CONFIG["l2"])
schedule = recipe.make_schedule()
rng = np.random.default_rng(CONFIG["seed"])
order, cursor, epoch, edits = rng.permutation(len(train_rows)), 0, 0, list(EDITS)
for step in range(STEPS + 1):
    while edits and edits[0][0] == step:
        _, layer, row, col, value = edits.pop(0)
        model.net.weights[layer][row, col] = value
    if step == STEPS:
        break
    batch = order[cursor:cursor + batch_size]
    lr = schedule(epoch) if schedule is not None else None
    with np.errstate(all="ignore"):
        trainer.step(X[batch], Y[batch], learning_rate=lr)
    cursor += len(batch)
    if cursor >= len(order):
        epoch, cursor = epoch + 1, 0
        order = rng.permutation(len(train_rows))

print("training loss", trainer.loss.value(model.net.forward(X), Y))
model.save("playground-run.nless")
'''

_BUILTIN = '''
table = builtin_table(CONFIG["dataset"], CONFIG["n"], CONFIG["noise"], CONFIG["seed"])
prep = prepare(table, "label", task="classification")
'''

_UPLOAD = '''
from pathlib import Path  # noqa: E402

CSV = {csv!r}
Path("playground-data.csv").write_text(CSV, encoding="utf-8")
prep = prepare("playground-data.csv", {target!r})
'''

_UPLOAD_FILE = '''
# the uploaded CSV was too large to include: put it next to this script
prep = prepare("playground-data.csv", {target!r})
'''


def script(session: Session) -> str:
    with session.lock:
        config, run = session.config, session.run
        if config.dataset == UPLOAD and session.upload is not None:
            _, text, target = session.upload
            data = (_UPLOAD.format(csv=text, target=target)
                    if len(text.encode()) <= SCRIPT_CSV_BYTES else
                    _UPLOAD_FILE.format(target=target))
        else:
            data = _BUILTIN
        return _SCRIPT.format(steps=run.steps, epoch=run.epoch, name="playground.py",
                              config=config.as_dict(), edits=[list(e) for e in run.edits],
                              data=data)


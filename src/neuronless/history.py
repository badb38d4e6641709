"""The record of a training run: :class:`History`, one entry per epoch.

Contract: ``History`` is plain data (lists of floats, a reason, the best epoch), so a model
file holds it as JSON and reading a model back needs nothing from the training machinery.
:mod:`neuronless.training` fills it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """What happened in each epoch of :func:`fit`.

    ``train_loss[i]`` is the mean loss over epoch ``i``'s mini-batches (at the weights each
    batch saw); ``val_loss`` and ``val_metrics`` are measured after the epoch;
    ``learning_rate`` is the rate the schedule gave; ``time`` is wall seconds since the start;
    ``backend`` is how the last epoch ran in this process, ``"numpy"`` or ``"compiled"``
    (numba); it is not saved with the history.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    learning_rate: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    stopped_reason: str = "epochs"
    best_epoch: int | None = None

    def __post_init__(self) -> None:
        # an attribute, not a field: how this process ran the epochs is not part of the
        # record that model files and checkpoints keep (their readers check the fields)
        self.backend: str = "numpy"

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict[str, float]:
        """The latest epoch's numbers as one flat dict."""
        out: dict[str, float] = {"epoch": self.epoch[-1], "train_loss": self.train_loss[-1]}
        if self.val_loss:
            out["val_loss"] = self.val_loss[-1]
        for k, v in self.val_metrics.items():
            out[f"val_{k}"] = v[-1]
        return out

    def __str__(self) -> str:
        if not self.epoch:
            return "History(no epochs)"
        parts = [f"{len(self)} epochs, train loss {self.train_loss[-1]:.6g}"]
        if self.val_loss:
            parts.append(f"validation loss {self.val_loss[-1]:.6g}")
        for k, v in self.val_metrics.items():
            parts.append(f"validation {k} {v[-1]:.4f}")
        parts.append(f"{self.time[-1]:.2f} s, stopped: {self.stopped_reason}")
        return "History(" + ", ".join(parts) + ")"

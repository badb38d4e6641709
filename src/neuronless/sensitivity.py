"""Sensitivity of a network's outputs to its inputs: the Jacobian d outputs / d inputs.

Contract: :func:`jacobian` runs one recorded forward pass (a ``Workspace`` keeping every
``z``, as ``Network.trace`` does) and then, for
each output unit, pushes a one-hot d/d a backwards through the layers with each layer's own
``LayerActivation.backward_`` (steepness, per-neuron activations and softmax's vector-Jacobian
product included) and the transposed weight matrices (shortcut connections add up). It
returns ``(m, n_out, n_in)`` and never changes the network.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .workspace import NetworkLike, Workspace

Array = NDArray[Any]


def jacobian(net: NetworkLike, X: Any) -> Array:
    """Return d outputs / d inputs for every sample: shape ``(m, n_out, n_in)``.

    Reverse mode: one backward pass per output unit, reading the forward pass's trace.

    >>> import numpy as np
    >>> from neuronless import Network
    >>> net = Network.from_weights([np.array([[2.0], [3.0], [0.5]])], ["identity"])
    >>> jacobian(net, [[1.0, 1.0]]).tolist()      # z = 2 x0 + 3 x1 + 0.5
    [[[2.0, 3.0]]]
    """
    X2 = net.check_input(X)
    trace = Workspace(net, X2.shape[0], keep_z=True).forward(np.array(X2, copy=True))
    m, n_in, n_out = X2.shape[0], net.sizes[0], net.sizes[-1]
    L = len(net.weights) - 1
    fan = net.fan_ins
    out = np.zeros((m, n_out, n_in), dtype=net.dtype)
    for j in range(n_out):
        d_a = [np.zeros((m, n), dtype=net.dtype) for n in net.sizes[1:]]  # d out_j / d a_k
        d_a[L][:, j] = 1.0
        d_x = out[:, j, :]
        for k in range(L, -1, -1):
            layer, rec = net.layers[k], trace.layers[k]
            delta = d_a[k]  # becomes d out_j / d z_k in place
            layer.backward_(delta, rec.a, rec.z, layer.scale(net.dtype), np.empty_like(delta),
                            np.empty(delta.shape, dtype=bool))
            d_in = delta @ net.weights[k][:-1].T  # d out_j / d (this layer's input)
            if net.shortcut:  # the input is [x | a_0 | ... | a_(k-1)]
                d_x += d_in[:, :n_in]
                for h in range(k):
                    d_a[h] += d_in[:, fan[h] : fan[h] + net.sizes[h + 1]]
            elif k > 0:
                d_a[k - 1] += d_in
            else:
                d_x += d_in
    return out

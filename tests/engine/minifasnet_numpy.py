"""A plain numpy forward pass of MiniFASNet, written straight from the upstream module
definitions (no BatchNorm folding, no ONNX), to check the ONNX graph against.

Each layer is what torch computes in eval mode: Conv2d (grouped, zero padding, no bias),
BatchNorm (running statistics, eps 1e-5), PReLU (one slope per channel), SE (average pool,
1x1 conv, BN, ReLU, 1x1 conv, BN, sigmoid, multiply), Linear (x @ W.T), softmax.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

Array = Any


def conv2d(x: Array, w: Array, stride: int, pad: int, groups: int) -> Array:
    n, c, h, wd = x.shape
    out_c, cig, kh, kw = w.shape
    assert c == cig * groups
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (wd + 2 * pad - kw) // stride + 1
    xg = xp.reshape(n, groups, cig, h + 2 * pad, wd + 2 * pad)
    wg = w.reshape(groups, out_c // groups, cig, kh, kw)
    out = np.zeros((n, groups, out_c // groups, ho, wo), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            window = xg[:, :, :, i : i + stride * ho : stride, j : j + stride * wo : stride]
            out += np.einsum("ngchw,goc->ngohw", window, wg[:, :, :, i, j])
    return out.reshape(n, out_c, ho, wo)


def batchnorm(x: Array, s: Mapping[str, Array], key: str) -> Array:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = s[f"{key}.running_mean"].reshape(shape)
    var = s[f"{key}.running_var"].reshape(shape)
    return (x - mean) / np.sqrt(var + 1e-5) * s[f"{key}.weight"].reshape(shape) + s[
        f"{key}.bias"
    ].reshape(shape)


def prelu(x: Array, slope: Array) -> Array:
    return np.where(x >= 0, x, x * slope.reshape(1, -1, 1, 1))


def conv_block(x: Array, s: Mapping[str, Array], key: str, stride: int, act: bool) -> Array:
    w = s[f"{key}.conv.weight"].astype(np.float64)
    groups = x.shape[1] // w.shape[1]
    pad = w.shape[2] // 2 if not key.startswith("conv_6_dw") else 0
    y = batchnorm(conv2d(x, w, stride, pad, groups), s, f"{key}.bn")
    return prelu(y, s[f"{key}.prelu.weight"]) if act else y


def se(x: Array, s: Mapping[str, Array], key: str) -> Array:
    p = x.mean(axis=(2, 3), keepdims=True)
    p = batchnorm(conv2d(p, s[f"{key}.fc1.weight"], 1, 0, 1), s, f"{key}.bn1")
    p = np.maximum(p, 0)
    p = batchnorm(conv2d(p, s[f"{key}.fc2.weight"], 1, 0, 1), s, f"{key}.bn2")
    return x * (1 / (1 + np.exp(-p)))


def depth_wise(x: Array, s: Mapping[str, Array], key: str, stride: int, residual: bool) -> Array:
    y = conv_block(x, s, f"{key}.conv", 1, True)
    y = conv_block(y, s, f"{key}.conv_dw", stride, True)
    y = conv_block(y, s, f"{key}.project", 1, False)
    if not residual:
        return y
    if f"{key}.se_module.fc1.weight" in s:
        y = se(y, s, f"{key}.se_module")
    return x + y


def forward(state: Mapping[str, Array], x: Array) -> Array:
    """Softmax over (print, live, replay) for a (N, 3, 80, 80) BGR 0-255 batch."""
    s = {k: v.astype(np.float64) for k, v in state.items()}
    y = conv_block(x.astype(np.float64), s, "conv1", 2, True)
    y = conv_block(y, s, "conv2_dw", 1, True)
    y = depth_wise(y, s, "conv_23", 2, False)
    for i in range(4):
        y = depth_wise(y, s, f"conv_3.model.{i}", 1, True)
    y = depth_wise(y, s, "conv_34", 2, False)
    for i in range(6):
        y = depth_wise(y, s, f"conv_4.model.{i}", 1, True)
    y = depth_wise(y, s, "conv_45", 2, False)
    for i in range(2):
        y = depth_wise(y, s, f"conv_5.model.{i}", 1, True)
    y = conv_block(y, s, "conv_6_sep", 1, True)
    y = conv_block(y, s, "conv_6_dw", 1, False)
    y = y.reshape(y.shape[0], -1)
    y = y @ s["linear.weight"].T
    y = batchnorm(y, s, "bn")
    logits = y @ s["prob.weight"].T
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

"""ONNX graphs from a ``Network`` read out of a dlib file, with the ``onnx`` helper API.

The graph takes ``uint8`` RGB images in NHWC (what the engine holds) and does dlib's input
transform itself: planar RGB, ``(pixel - mean) / 256`` with the means stored in the file.

Where an ``affine_`` layer directly follows a ``con_`` layer it is folded into the convolution
(in float64, then stored as float32): one operation instead of three, same values within float
rounding. dlib's ``add_prev`` adds tensors of different shapes by zero-padding the smaller at the
end of each axis; the graph pads explicitly, so shapes must be known there (fixed-size inputs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from facegate.engine.onnx.dlib_net import (
    AddTagged,
    Affine,
    Conv,
    Dense,
    GetTag,
    Network,
    Op,
    Pool,
    Relu,
    SetTag,
)

OPSET = 17
INPUT = "images"
OUTPUT = "output"

# (channels, rows, columns); None where unknown (variable-size input)
Shape = tuple[int, int | None, int | None]


@dataclass
class _Value:
    name: str
    shape: Shape


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def fresh(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def constant(self, stem: str, array: np.ndarray) -> str:
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], stem: str, **attributes: Any) -> str:
        output = self.fresh(stem)
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output


def _out(size: int | None, window: int, stride: int, padding: int) -> int | None:
    if size is None:
        return None
    return 1 + (size + 2 * padding - window) // stride


def _fold(ops: list[Op]) -> list[Op]:
    """Fold each ``affine_`` that directly follows a ``con_`` into it."""
    folded: list[Op] = []
    for op in ops:
        previous = folded[-1] if folded else None
        if (
            isinstance(op, Affine)
            and isinstance(previous, Conv)
            and op.gamma.size == previous.bias.size
        ):
            gamma = op.gamma.reshape(-1).astype(np.float64)
            beta = op.beta.reshape(-1).astype(np.float64)
            weights = previous.weights.astype(np.float64) * gamma[:, None, None, None]
            bias = previous.bias.astype(np.float64) * gamma + beta
            folded[-1] = Conv(
                weights.astype(np.float32),
                bias.astype(np.float32),
                previous.stride,
                previous.padding,
            )
        else:
            folded.append(op)
    return folded


def build_model(
    network: Network,
    *,
    rows: int | None,
    columns: int | None,
    name: str,
    planar_input: bool = False,
) -> onnx.ModelProto:
    """An ONNX model of ``network`` for images of ``rows`` x ``columns`` (None: any size).

    The input is ``uint8`` RGB images (N, rows, columns, 3), normalised in the graph; or, with
    ``planar_input``, a float32 (N, 3, rows, columns) tensor already in dlib's input space
    (the MMOD detector's tiled pyramid, which is built outside the graph).
    """
    b = _Builder()
    if planar_input:
        x = INPUT
        image_type = TensorProto.FLOAT
        image_dims: list[str | int] = ["batch", 3, rows or "rows", columns or "columns"]
    else:
        red, green, blue = network.input.means
        x = b.node("Cast", [INPUT], "as_float", to=TensorProto.FLOAT)
        x = b.node("Transpose", [x], "planar", perm=[0, 3, 1, 2])
        means = np.array([red, green, blue], dtype=np.float32).reshape(1, 3, 1, 1)
        x = b.node("Sub", [x, b.constant("means", means)], "centred")
        x = b.node("Mul", [x, b.constant("scale", np.array(1 / 256, dtype=np.float32))], "scaled")
        image_type = TensorProto.UINT8
        image_dims = ["batch", rows or "rows", columns or "columns", 3]
    current = _Value(x, (3, rows, columns))
    tags: dict[int, _Value] = {}
    for op in _fold(network.ops):
        current = _emit(b, op, current, tags)
    b.nodes.append(helper.make_node("Identity", [current.name], [OUTPUT], name=OUTPUT))
    output_dims: list[str | int] = ["batch", current.shape[0]]
    if current.shape[1:] != (1, 1):
        output_dims += [current.shape[1] or "out_rows", current.shape[2] or "out_columns"]
    graph = helper.make_graph(
        b.nodes,
        name,
        [helper.make_tensor_value_info(INPUT, image_type, image_dims)],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, output_dims)],
        b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _emit(b: _Builder, op: Op, current: _Value, tags: dict[int, _Value]) -> _Value:
    channels, rows, columns = current.shape
    if isinstance(op, Conv):
        out_channels, _, kh, kw = op.weights.shape
        (sy, sx), (py, px) = op.stride, op.padding
        name = b.node(
            "Conv",
            [current.name, b.constant("w", op.weights), b.constant("b", op.bias)],
            "conv",
            kernel_shape=[kh, kw],
            strides=[sy, sx],
            pads=[py, px, py, px],
        )
        return _Value(name, (out_channels, _out(rows, kh, sy, py), _out(columns, kw, sx, px)))
    if isinstance(op, Affine):
        x = b.node("Mul", [current.name, b.constant("gamma", op.gamma)], "affine_mul")
        return _Value(b.node("Add", [x, b.constant("beta", op.beta)], "affine_add"), current.shape)
    if isinstance(op, Relu):
        return _Value(b.node("Relu", [current.name], "relu"), current.shape)
    if isinstance(op, Pool):
        if op.window == (0, 0):
            name = b.node(
                "GlobalAveragePool" if op.kind == "avg" else "GlobalMaxPool",
                [current.name],
                "gpool",
            )
            return _Value(name, (channels, 1, 1))
        (wy, wx), (sy, sx), (py, px) = op.window, op.stride, op.padding
        name = b.node(
            "AveragePool" if op.kind == "avg" else "MaxPool",
            [current.name],
            "pool",
            kernel_shape=[wy, wx],
            strides=[sy, sx],
            pads=[py, px, py, px],
        )
        return _Value(name, (channels, _out(rows, wy, sy, py), _out(columns, wx, sx, px)))
    if isinstance(op, SetTag):
        tags[op.id] = current
        return current
    if isinstance(op, GetTag):
        return tags[op.id]
    if isinstance(op, AddTagged):
        return _add_padded(b, current, tags[op.id])
    if isinstance(op, Dense):
        x = b.node("Flatten", [current.name], "flat", axis=1)
        x = b.node("MatMul", [x, b.constant("fc_w", op.weights)], "fc")
        if op.bias is not None:
            x = b.node("Add", [x, b.constant("fc_b", op.bias)], "fc_bias")
        return _Value(x, (op.weights.shape[1], 1, 1))
    raise TypeError(f"unknown operation {op!r}")  # pragma: no cover


def _add_padded(b: _Builder, first: _Value, second: _Value) -> _Value:
    """dlib's add_prev: the sum where both exist, zero-padded at the end of each axis."""
    shapes = [[int(n) for n in value.shape if n is not None] for value in (first, second)]
    if any(len(shape) != 3 for shape in shapes):
        raise ValueError("add_prev of tensors of unknown shape: give the input a fixed size")
    channels, rows, columns = (max(a, b_) for a, b_ in zip(*shapes, strict=True))
    target: Shape = (channels, rows, columns)
    names = []
    for value, shape in zip((first, second), shapes, strict=True):
        extra = [t - s for t, s in zip((channels, rows, columns), shape, strict=True)]
        if any(extra):
            pads = np.array([0, 0, 0, 0, 0, *extra], dtype=np.int64)
            names.append(b.node("Pad", [value.name, b.constant("pads", pads)], "pad"))
        else:
            names.append(value.name)
    return _Value(b.node("Add", names, "add_prev"), target)

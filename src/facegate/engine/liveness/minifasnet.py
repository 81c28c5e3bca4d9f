"""MiniFASNet (Silent-Face anti-spoofing) as an ONNX graph, built from a checkpoint's weights.

The network, as the upstream reference defines it (``MiniFASNet.py``), for an 80x80 input:

    conv1 (3x3 /2) -> conv2_dw (3x3 depthwise) -> conv_23 (bottleneck /2) -> conv_3 (4 residual
    bottlenecks) -> conv_34 (/2) -> conv_4 (6) -> conv_45 (/2) -> conv_5 (2) -> conv_6_sep (1x1)
    -> conv_6_dw (5x5 depthwise, no activation) -> flatten -> linear (512->128) -> BatchNorm1d
    -> prob (128->3) -> softmax: (print attack, live, replay attack)

A "block" is Conv -> BatchNorm -> PReLU; a "linear block" is Conv -> BatchNorm; a bottleneck
is a 1x1 block, a 3x3 depthwise block and a 1x1 linear block, with the input added back when
residual. In the SE variant (MiniFASNetV1SE) the last bottleneck of each residual stage
squeezes and excites its output before the addition: global average pool -> 1x1 conv ->
BatchNorm -> ReLU -> 1x1 conv -> BatchNorm -> sigmoid, multiplied into the features.

Channel counts and groups are read from the weights' shapes (a convolution whose weight has one
input channel per group is depthwise). BatchNorm (inference: running mean and variance, eps
1e-5) is folded into the preceding convolution or linear layer; dropout is the identity at
inference. Input: float32 NCHW, BGR channel order, pixel values 0-255 (the upstream transform
does not divide by 255).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

Array = npt.NDArray[Any]
BN_EPS = 1e-5
OPSET = 17
CLASSES = ("print", "live", "replay")
LIVE_CLASS = CLASSES.index("live")

# (name, stride, residual blocks) of the stages between conv2_dw and conv_6_sep, in order.
STAGES: tuple[tuple[str, int, int], ...] = (
    ("conv_23", 2, 0),
    ("conv_3", 1, 4),
    ("conv_34", 2, 0),
    ("conv_4", 1, 6),
    ("conv_45", 2, 0),
    ("conv_5", 1, 2),
)


class ArchitectureError(ValueError):
    """The weights do not fit the MiniFASNet architecture."""


def fold_batchnorm(
    weight: Array, state: Mapping[str, Array], bn: str
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """A convolution's (or linear layer's) weight and bias with the BatchNorm after it folded in."""
    gamma, beta = state[f"{bn}.weight"], state[f"{bn}.bias"]
    mean, var = state[f"{bn}.running_mean"], state[f"{bn}.running_var"]
    factor = gamma / np.sqrt(var + BN_EPS)
    shape = (-1,) + (1,) * (weight.ndim - 1)
    folded = (weight.astype(np.float64) * factor.reshape(shape)).astype(np.float32)
    bias = (beta - mean * factor).astype(np.float32)
    return folded, bias


@dataclass
class GraphBuilder:
    """Collects nodes and initialisers under one name prefix (several nets fit one graph)."""

    state: Mapping[str, Array]
    prefix: str
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    _count: int = 0

    def weight(self, key: str) -> Array:
        try:
            return self.state[key]
        except KeyError as exc:
            raise ArchitectureError(f"weight {key} missing from the checkpoint") from exc

    def constant(self, name: str, value: Array) -> str:
        full = f"{self.prefix}{name}"
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), full))
        return full

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self._count += 1
        out = f"{self.prefix}{name}:{self._count}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(
        self, x: str, channels: int, key: str, stride: int, activation: str | None
    ) -> tuple[str, int]:
        """Conv (no bias) + folded BatchNorm (+ PReLU or ReLU); ``key`` names the conv module's
        parent (``<key>.conv``, ``<key>.bn``, ``<key>.prelu``)."""
        raw = self.weight(f"{key}.conv.weight")
        return self._conv(x, channels, raw, f"{key}.bn", f"{key}.prelu", key, stride, activation)

    def _conv(
        self,
        x: str,
        channels: int,
        raw: Array,
        bn: str,
        prelu: str,
        name: str,
        stride: int,
        activation: str | None,
        pad: int | None = None,
    ) -> tuple[str, int]:
        out_c, per_group, kh, kw = raw.shape
        if channels % per_group:
            raise ArchitectureError(
                f"{name}: {channels} channels do not split into groups of {per_group}"
            )
        groups = channels // per_group
        weight, bias = fold_batchnorm(raw, self.state, bn)
        padding = (kh // 2 if pad is None else pad, kw // 2 if pad is None else pad)
        y = self.node(
            "Conv",
            [x, self.constant(f"{name}.w", weight), self.constant(f"{name}.b", bias)],
            name,
            kernel_shape=[kh, kw],
            strides=[stride, stride],
            pads=[padding[0], padding[1], padding[0], padding[1]],
            group=groups,
        )
        if activation == "prelu":
            slope = self.weight(f"{prelu}.weight").astype(np.float32).reshape(-1, 1, 1)
            y = self.node("PRelu", [y, self.constant(f"{prelu}.slope", slope)], f"{name}.prelu")
        elif activation == "relu":
            y = self.node("Relu", [y], f"{name}.relu")
        return y, out_c

    def bottleneck(
        self, x: str, channels: int, key: str, stride: int, residual: bool
    ) -> tuple[str, int]:
        y, c = self.conv_bn(x, channels, f"{key}.conv", 1, "prelu")
        y, c = self.conv_bn(y, c, f"{key}.conv_dw", stride, "prelu")
        y, c = self.conv_bn(y, c, f"{key}.project", 1, None)
        if not residual:
            return y, c
        if f"{key}.se_module.fc1.weight" in self.state:
            y = self.squeeze_excite(y, c, f"{key}.se_module")
        if c != channels:
            raise ArchitectureError(f"{key}: residual from {channels} to {c} channels")
        return self.node("Add", [x, y], f"{key}.add"), c

    def squeeze_excite(self, x: str, channels: int, key: str) -> str:
        pooled = self.node("GlobalAveragePool", [x], f"{key}.pool")
        s, c = self._conv(
            pooled,
            channels,
            self.weight(f"{key}.fc1.weight"),
            f"{key}.bn1",
            "",
            f"{key}.fc1",
            1,
            "relu",
            pad=0,
        )
        s, _ = self._conv(
            s, c, self.weight(f"{key}.fc2.weight"), f"{key}.bn2", "", f"{key}.fc2", 1, None, pad=0
        )
        gate = self.node("Sigmoid", [s], f"{key}.sigmoid")
        return self.node("Mul", [x, gate], f"{key}.excite")

    def network(self, x: str) -> str:
        """Logits of the whole network for input ``x`` (N, 3, H, W)."""
        y, c = self.conv_bn(x, 3, "conv1", 2, "prelu")
        y, c = self.conv_bn(y, c, "conv2_dw", 1, "prelu")
        for stage, stride, blocks in STAGES:
            if blocks == 0:
                y, c = self.bottleneck(y, c, stage, stride, residual=False)
            for i in range(blocks):
                y, c = self.bottleneck(y, c, f"{stage}.model.{i}", stride, residual=True)
        y, c = self.conv_bn(y, c, "conv_6_sep", 1, "prelu")
        y, c = self._conv(
            y,
            c,
            self.weight("conv_6_dw.conv.weight"),
            "conv_6_dw.bn",
            "",
            "conv_6_dw",
            1,
            None,
            pad=0,
        )
        y = self.node("Flatten", [y], "flatten", axis=1)
        if "linear.weight" in self.state:
            linear = self.weight("linear.weight")
            weight, bias = fold_batchnorm(linear, self.state, "bn")
        else:  # embedding size 512: no linear layer, BatchNorm1d straight on the features
            eye = np.eye(c, dtype=np.float32)
            weight, bias = fold_batchnorm(eye, self.state, "bn")
        y = self.node(
            "Gemm",
            [y, self.constant("linear.w", weight), self.constant("linear.b", bias)],
            "linear",
            transB=1,
        )
        prob = self.weight("prob.weight").astype(np.float32)
        return self.node("Gemm", [y, self.constant("prob.w", prob)], "prob", transB=1)


@dataclass(frozen=True)
class NetSpec:
    """One checkpoint in a combined model: its weights and its input's name and size."""

    name: str
    state: Mapping[str, Array]
    input_size: tuple[int, int]  # (height, width)


def build_model(nets: list[NetSpec]) -> onnx.ModelProto:
    """One ONNX model running every net on its own input; outputs ``probabilities`` (N, 3), the
    mean of the nets' softmax outputs, and ``live`` (N,), its live-class column."""
    graph_inputs, nodes, initializers, softmaxes = [], [], [], []
    for i, net in enumerate(nets):
        builder = GraphBuilder(net.state, prefix=f"m{i}/")
        height, width = net.input_size
        graph_inputs.append(
            helper.make_tensor_value_info(net.name, TensorProto.FLOAT, ["N", 3, height, width])
        )
        logits = builder.network(net.name)
        softmaxes.append(builder.node("Softmax", [logits], "softmax", axis=1))
        nodes += builder.nodes
        initializers += builder.initializers
    total = softmaxes[0]
    for j, other in enumerate(softmaxes[1:]):
        total_name = f"sum:{j}"
        nodes.append(helper.make_node("Add", [total, other], [total_name], name=total_name))
        total = total_name
    scale = numpy_helper.from_array(np.array(1.0 / len(nets), dtype=np.float32), "inv_count")
    index = numpy_helper.from_array(np.array(LIVE_CLASS, dtype=np.int64), "live_index")
    initializers += [scale, index]
    nodes.append(helper.make_node("Mul", [total, "inv_count"], ["probabilities"], name="mean"))
    # A scalar index drops the class axis: (N, 3) -> (N,).
    nodes.append(
        helper.make_node("Gather", ["probabilities", "live_index"], ["live"], name="live", axis=1)
    )
    graph = helper.make_graph(
        nodes,
        "minifasnet",
        graph_inputs,
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(CLASSES)]),
            helper.make_tensor_value_info("live", TensorProto.FLOAT, ["N"]),
        ],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="facegate"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model

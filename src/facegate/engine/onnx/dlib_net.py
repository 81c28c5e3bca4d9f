"""dlib DNN files read into a flat list of operations, bottom (input) to top.

dlib writes a network by recursion over its C++ type, and the wrapper layers carry no type tag,
so the layout must come from the network's template (``dlib/dnn/core.h``):

- ``add_loss_layer``: version 1, the loss details, the sub-network.
- ``add_layer``: version 2, the sub-network, the layer details, three booleans and three
  tensors (gradients and cached output, empty in a saved model). The bottom ``add_layer``, whose
  sub-network is the input layer, is version 3 and ends with a fourth tensor and an integer.
- ``add_tag_layer`` / ``add_skip_layer``: version 1, the sub-network; nothing else.

So a file holds the loss, the wrapper versions top-down, the input layer, then each layer's
details bottom-up, each starting with a name (``con_4``, ``affine_``, ``relu_``, ...). A
``Spec`` lists the wrappers of one network top-down (what its ``using net_type = ...`` says).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from facegate.engine.onnx.dlib_format import DlibFormatError, DlibReader, Floats, split_params


# -- the wrappers of a network, as its C++ template lists them -----------------------------
@dataclass(frozen=True)
class Layer:
    """An ``add_layer`` whose details must have one of these names."""

    names: tuple[str, ...]
    tag: int = 0  # for add_prev<N>: which tag it adds


@dataclass(frozen=True)
class Tag:
    id: int


@dataclass(frozen=True)
class Skip:
    id: int


Wrapper = Layer | Tag | Skip
CON = Layer(("con_4",))
AFFINE = Layer(("affine_", "bn_con2"))  # dlib builds an affine_ from a saved bn_ too
RELU = Layer(("relu_",))
MAX_POOL = Layer(("max_pool_2",))
AVG_POOL = Layer(("avg_pool_2",))
FC = Layer(("fc_2",))


def add_prev(tag: int) -> Layer:
    return Layer(("add_prev_",), tag=tag)


# -- what the reader produces: operations, bottom-up ---------------------------------------
@dataclass(frozen=True)
class Conv:
    weights: Floats  # (out, in, kh, kw)
    bias: Floats  # (out,)
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Affine:
    gamma: Floats  # broadcastable to NCHW: (1, k, nr, nc)
    beta: Floats


@dataclass(frozen=True)
class Relu:
    pass


@dataclass(frozen=True)
class Pool:
    kind: str  # "max" or "avg"
    window: tuple[int, int]  # (0, 0): the whole plane
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Dense:
    weights: Floats  # (inputs, outputs)
    bias: Floats | None


@dataclass(frozen=True)
class SetTag:
    id: int


@dataclass(frozen=True)
class GetTag:
    id: int


@dataclass(frozen=True)
class AddTagged:
    id: int


Op = Conv | Affine | Relu | Pool | Dense | SetTag | GetTag | AddTagged


@dataclass(frozen=True)
class InputLayer:
    kind: str  # input_rgb_image_sized, input_rgb_image_pyramid
    means: tuple[float, float, float]  # red, green, blue
    size: tuple[int, int] | None = None  # rows, columns (sized input)
    pyramid_padding: int = 10
    pyramid_outer_padding: int = 11


@dataclass(frozen=True)
class Network:
    loss: str
    loss_options: dict[str, float]
    input: InputLayer
    detector_windows: list[tuple[int, int]] = field(default_factory=list)  # (width, height)
    ops: list[Op] = field(default_factory=list)  # bottom (after the input) to top


# -- reading -------------------------------------------------------------------------------
def read_network(data: bytes, spec: Sequence[Wrapper]) -> Network:
    reader = DlibReader(data)
    reader.expect_version(1)
    loss, options, windows = _read_loss(reader)
    for index, wrapper in enumerate(spec):
        if isinstance(wrapper, Layer):
            reader.expect_version(3 if index == len(spec) - 1 else 2)
        else:
            reader.expect_version(1)
    input_layer = _read_input(reader)
    ops: list[Op] = []
    for index, wrapper in enumerate(reversed(spec)):
        if isinstance(wrapper, Tag):
            ops.append(SetTag(wrapper.id))
        elif isinstance(wrapper, Skip):
            ops.append(GetTag(wrapper.id))
        else:
            ops.append(_read_details(reader, wrapper))
            for _ in range(3):
                reader.boolean()
            for _ in range(3):
                reader.tensor()
            if index == 0:  # the bottom add_layer: grad_final, then the sample expansion factor
                reader.integer()
    if not reader.at_end:
        raise DlibFormatError(f"{reader.pos} bytes read but the file continues")
    return Network(loss, options, input_layer, detector_windows=windows, ops=ops)


def _read_loss(reader: DlibReader) -> tuple[str, dict[str, float], list[tuple[int, int]]]:
    name = reader.expect_string("loss_metric_2", "loss_mmod_")
    if name == "loss_metric_2":
        return name, {"margin": reader.real(), "distance_threshold": reader.real()}, []
    return name, *_read_mmod_options(reader)


def _read_mmod_options(reader: DlibReader) -> tuple[dict[str, float], list[tuple[int, int]]]:
    """``mmod_options`` as written by the dlib that trained ``mmod_human_face_detector.dat``."""
    reader.expect_version(1)
    # Version 1 held one detector window (width, height); later versions hold a list.
    windows = [(reader.integer(), reader.integer())]
    options = {
        "loss_per_false_alarm": reader.real(),
        "loss_per_missed_target": reader.real(),
        "truth_match_iou_threshold": reader.real(),
        "nms_iou_thresh": reader.real(),
        "nms_percent_covered_thresh": reader.real(),
        "ignore_iou_thresh": reader.real(),
        "ignore_percent_covered_thresh": reader.real(),
    }
    return options, windows


def _read_input(reader: DlibReader) -> InputLayer:
    name = reader.expect_string(
        "input_rgb_image_sized", "input_rgb_image_pyramid", "input_rgb_image_pyramid2"
    )
    means = (reader.real(), reader.real(), reader.real())
    if name == "input_rgb_image_sized":
        rows, columns = reader.integer(), reader.integer()
        return InputLayer(name, means, size=(rows, columns))
    if name == "input_rgb_image_pyramid2":
        return InputLayer(
            name, means, pyramid_padding=reader.integer(), pyramid_outer_padding=reader.integer()
        )
    return InputLayer(name, means)


def _read_details(reader: DlibReader, wrapper: Layer) -> Op:
    name = reader.expect_string(*wrapper.names)
    if name == "con_4":
        params = reader.tensor()
        filters, rows, columns = reader.integer(), reader.integer(), reader.integer()
        stride = (reader.integer(), reader.integer())
        padding = (reader.integer(), reader.integer())
        weights, bias = split_params(params, reader.alias_tensor(), reader.alias_tensor())
        for _ in range(4):  # learning-rate and weight-decay multipliers
            reader.real()
        if weights.shape[0] != filters or weights.shape[2:] != (rows, columns):
            raise DlibFormatError(f"con_4 filters {weights.shape} disagree with its header")
        return Conv(weights, bias.reshape(-1), stride, padding)
    if name == "affine_":
        params = reader.tensor()
        gamma, beta = split_params(params, reader.alias_tensor(), reader.alias_tensor())
        reader.integer()  # mode: conv (per channel) or fc (per value); the shapes say which
        return Affine(gamma, beta)
    if name == "bn_con2":
        # Batch normalisation as trained; at inference dlib turns it into an affine_ layer:
        # gamma / sqrt(running_variance + eps), beta - gamma' * running_mean.
        params = reader.tensor()
        gamma_shape, beta_shape = reader.alias_tensor(), reader.alias_tensor()
        for _ in range(2):  # batch means and inverse deviations, used only in training
            reader.tensor()
        running_means, running_variances = reader.tensor(), reader.tensor()
        reader.integer()  # num_updates
        reader.integer()  # running_stats_window_size
        for _ in range(4):
            reader.real()
        eps = reader.real()
        gamma, beta = split_params(params, gamma_shape, beta_shape)
        scale = gamma.astype(np.float64) / np.sqrt(
            running_variances.reshape(gamma.shape).astype(np.float64) + eps
        )
        shift = beta - scale * running_means.reshape(gamma.shape).astype(np.float64)
        return Affine(scale.astype(np.float32), shift.astype(np.float32))
    if name == "relu_":
        return Relu()
    if name in ("max_pool_2", "avg_pool_2"):
        window = (reader.integer(), reader.integer())
        stride = (reader.integer(), reader.integer())
        padding = (reader.integer(), reader.integer())
        return Pool(name[:3], window, stride, padding)
    if name == "add_prev_":
        return AddTagged(wrapper.tag)
    if name == "fc_2":
        outputs, inputs = reader.integer(), reader.integer()
        params = reader.tensor()
        weights_shape, bias_shape = reader.alias_tensor(), reader.alias_tensor()
        has_bias = reader.integer() == 0  # dlib's FC_HAS_BIAS is 0, FC_NO_BIAS 1
        for _ in range(4):
            reader.real()
        shapes = [weights_shape, bias_shape] if has_bias else [weights_shape]
        if not has_bias:
            params = params.reshape(-1)[: weights_shape.size].reshape(1, 1, 1, -1)
        pieces = split_params(params, *shapes)
        weights = pieces[0].reshape(inputs, outputs)
        dense_bias = pieces[1].reshape(-1) if has_bias else None
        return Dense(np.ascontiguousarray(weights), dense_bias)
    raise DlibFormatError(f"layer {name!r} is not supported")  # pragma: no cover

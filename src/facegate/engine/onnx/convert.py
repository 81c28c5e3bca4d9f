"""dlib's model files converted to ONNX at first use, into a cache.

A converted model is named after its source file, the source's SHA-256 and the converter's
version, so a changed model file or a changed converter never reuses a stale conversion.
Generated weights live only in the cache (``FACEGATE_MODEL_CACHE``, by default
``$XDG_CACHE_HOME/facegate/models`` or ``~/.cache/facegate/models``), never in the project.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import onnx

from facegate.engine.onnx import dlib_net as d
from facegate.engine.onnx.graph import build_model

# Bump whenever the reader or the graph builder changes what a conversion produces.
CONVERTER_VERSION = 1
CACHE_ENV = "FACEGATE_MODEL_CACHE"

RESNET_INPUT = 150


def _block(stride: int) -> list[d.Wrapper]:
    # BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>> (top-down)
    del stride  # each con_ records its own stride and padding
    return [d.AFFINE, d.CON, d.RELU, d.AFFINE, d.CON]


def _ares() -> list[d.Wrapper]:
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [d.RELU, d.add_prev(1), *_block(1), d.Tag(1)]


def _ares_down() -> list[d.Wrapper]:
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    return [d.RELU, d.add_prev(2), d.AVG_POOL, d.Skip(1), d.Tag(2), *_block(2), d.Tag(1)]


def resnet_spec() -> list[d.Wrapper]:
    """``anet_type`` of dlib's examples/dnn_face_recognition_ex.cpp, top-down below the loss."""
    level0 = _ares_down()
    level1 = [*_ares(), *_ares(), *_ares_down()]
    level2 = [*_ares(), *_ares(), *_ares_down()]
    level3 = [*_ares(), *_ares(), *_ares(), *_ares_down()]
    level4 = [*_ares(), *_ares(), *_ares()]
    return [
        d.FC,  # fc_no_bias<128, ...>
        d.AVG_POOL,  # avg_pool_everything
        *level0,
        *level1,
        *level2,
        *level3,
        *level4,
        d.MAX_POOL,  # max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>
        d.RELU,
        d.AFFINE,
        d.CON,
    ]


def _convert_resnet(data: bytes) -> onnx.ModelProto:
    network = d.read_network(data, resnet_spec())
    return build_model(network, rows=RESNET_INPUT, columns=RESNET_INPUT, name="dlib-resnet-v1")


def mmod_spec() -> list[d.Wrapper]:
    """``net_type`` of dlib's examples/dnn_mmod_face_detection_ex.cpp, top-down below the loss:
    con<1,9,9,1,1, rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>,
    rcon5 = relu<affine<con<45,5,5,1,1>>>, downsampler = three relu<affine<con5d<...>>>."""
    relu_affine_con = [d.RELU, d.AFFINE, d.CON]
    return [d.CON, *relu_affine_con * 3, *relu_affine_con * 3]


def mmod_network(data: bytes) -> d.Network:
    return d.read_network(data, mmod_spec())


def _convert_mmod(data: bytes) -> onnx.ModelProto:
    network = mmod_network(data)
    return build_model(network, rows=None, columns=None, name="dlib-mmod", planar_input=True)


@dataclass(frozen=True)
class Conversion:
    stem: str
    convert: Callable[[bytes], onnx.ModelProto]


CONVERSIONS: dict[str, Conversion] = {
    "dlib_face_recognition_resnet_model_v1.dat": Conversion("dlib-resnet-v1", _convert_resnet),
    "mmod_human_face_detector.dat": Conversion("dlib-mmod", _convert_mmod),
}


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "facegate" / "models"


@cache
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the memo key only
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime_ns)


_lock = threading.Lock()


def converted(source: Path, directory: Path | None = None) -> Path:
    """The ONNX file converted from the dlib file ``source``, converting it on first use."""
    conversion = CONVERSIONS.get(source.name)
    if conversion is None:
        raise ValueError(f"no converter for {source.name}")
    directory = directory or cache_dir()
    sha = source_sha256(source)
    target = directory / f"{conversion.stem}-{sha[:16]}-c{CONVERTER_VERSION}.onnx"
    with _lock:
        if target.is_file():
            return target
        model = conversion.convert(source.read_bytes())
        model.metadata_props.add(key="source_sha256", value=sha)
        model.metadata_props.add(key="source_file", value=source.name)
        model.metadata_props.add(key="converter_version", value=str(CONVERTER_VERSION))
        directory.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename: a reader never sees half a model, and two
        # processes converting at once both end with a whole one.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=target.stem, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(model.SerializeToString())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return target

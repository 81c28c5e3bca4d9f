"""Settings: defaults, then ``<data dir>/facegate.toml``, then ``FACEGATE_*`` environment variables.

``facegate init`` writes a commented ``facegate.toml``; every key is optional.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from facegate.engine import EngineConfig
from facegate.engine.engine import BACKENDS
from facegate.engine.liveness.passive import DEFAULT_THRESHOLD as LIVENESS_THRESHOLD
from facegate.engine.recipe import RECIPES
from facegate.errors import FacegateError

CONFIG_FILE = "facegate.toml"
KEY_FILE = "master.key"
JOURNAL_FILE = "deletions.journal"
DEFAULT_DATA_DIR = Path("facegate-data")
ROLES = ("standalone", "control", "edge")


class ConfigError(FacegateError):
    code = "config_invalid"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    key_file: Path | None = None
    journal_file: Path | None = None
    engine: EngineConfig = field(default_factory=EngineConfig)
    consent_quiet_days: int = 180
    reconsent_days: int = 30
    suspension_max_days: int = 90
    # What this process is: "standalone" (one box), "control" (the control plane: no face of
    # an on_device deployment) or "edge" (an edge node on one device).
    role: str = "standalone"
    # An edge node that has not synced for longer than this refuses face recognition.
    offline_limit_hours: float = 24.0
    # Where people reach this service from outside (the sign's QR code, links in documents):
    # e.g. "https://faces.example.cn". Links are never built from a request's Host header.
    public_url: str = ""
    # A demo site (``facegate demo``): a loopback public_url is accepted.
    demo: bool = False
    # Live-class probability at or above which a face is a live person (passive liveness).
    liveness_threshold: float = LIVENESS_THRESHOLD
    # `facegate serve`: face work in this many worker processes (0: one per core), with at most
    # face_queue photos waiting (-1: twice the workers) before 503 engine_busy.
    face_workers: int = 0
    face_queue: int = -1
    # The zone every page, document and CLI line shows times in (an IANA name); the store
    # keeps UTC.
    time_zone: str = "Asia/Shanghai"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'facegate.db'}"

    @property
    def shown_database_url(self) -> str:
        """The database URL to print: its password masked."""
        from sqlalchemy import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(self.resolved_database_url).render_as_string(hide_password=True)
        except ArgumentError:
            return "(not a database URL)"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or self.data_dir / KEY_FILE

    @property
    def resolved_journal_file(self) -> Path:
        """The deletion journal: beside the master key, outside what a database restore
        brings back."""
        return self.journal_file or self.resolved_key_file.parent / JOURNAL_FILE


DEFAULT_TOML = """\
# facegate configuration. Every key is optional; environment variables FACEGATE_<KEY>
# (for example FACEGATE_DATABASE_URL) override what is written here.

# Database: SQLite in the data directory by default; any SQLAlchemy URL works, e.g.
# "postgresql+psycopg://user@host/facegate".
# database_url = ""

# The master key that wraps every subject's data key. A file created with mode 0600, or the
# environment variable FACEGATE_MASTER_KEY (base64 of 32 bytes), which takes precedence.
# key_file = "master.key"

# The deletion journal: every destroyed key and erased person, so that restoring an older
# database never brings a deleted face back. Beside the key file by default; back it up with
# the key, never restore an older copy over it.
# journal_file = "deletions.journal"

# After a person refuses consent, do not ask again for this many days (NDSR art. 22).
# consent_quiet_days = 180

# After a deployment's purpose or method changes, the templates of people who have not
# consented again within this many days are destroyed (PIPL art. 14 para. 2, art. 47).
# reconsent_days = 30

# A deployment suspended for longer than this many days has its templates destroyed, as a
# stopped one at once (PIPL art. 47; Measures art. 8).
# suspension_max_days = 90

# What this process is: "standalone" (the whole of facegate on the recognition device),
# "control" (a control plane: console, records and consents; it never holds a face of an
# on_device deployment) or "edge" (an edge node on one device, written by `facegate edge`).
# role = "standalone"

# An edge node that has not synced with its control plane for longer than this refuses face
# recognition (the alternative still works).
# offline_limit_hours = 24

# The address people reach this service at (the printed sign's QR code points to the notice
# page under it). Required to print a sign; a loopback address is accepted only in a demo.
# public_url = "https://faces.example.cn"
# `facegate serve` runs face work in worker processes: how many (0: one per core), and how many
# photos may wait for one (-1: twice the workers) before a request is answered 503 engine_busy.
# face_workers = 0
# face_queue = -1

# Passive liveness: a face whose live-class probability (0-1) is below this is refused as a
# printed or on-screen face, where the deployment's liveness is on. 0.5 was chosen on NUAA
# (docs/benchmarks.md); raising it refuses more live people too.
# liveness_threshold = 0.5

# The time zone of every time shown to people (console, kiosk, documents, CLI): an IANA name.
# Records are kept in UTC.
# time_zone = "Asia/Shanghai"

[engine]
# "hog" (fast, frontal faces) or "cnn" (dlib's MMOD CNN detector: slower, more poses).
# detector = "hog"
# What runs dlib's networks: "onnxruntime" (converted from dlib's files at first use, cached in
# FACEGATE_MODEL_CACHE or ~/.cache/facegate/models) or "dlib" (the reference). Same embeddings.
# backend = "onnxruntime"
# onnxruntime threads per network (1: the service scales with worker processes instead).
# threads = 1
# CPU seconds to decode a photo and search it for faces, fallbacks included (0: no limit);
# a photo still without a face when it runs out gets the error face_search_timeout.
# time_budget = 0.8
# Test-time augmentation: also embed each face's mirror image and average (LFW 99.07% against
# 98.90% without). Same model id and embedding space: templates made either way match.
# mirror = true   (the default for dlib's ResNet; off by default for your own model)
# The embedding recipe by name ("plain" or "mirror"; it wins over mirror). Recipes compared on
# LFW: docs/benchmarks.md, bench/accuracy_variants.py.
# recipe = "mirror"
# Longest side, in pixels, of the copy that detection runs on.
# working_size = 640
# Distance at or below which two faces are the same person (dlib's ResNet: 0.6).
# threshold = 0.6
# Your own ONNX embedding model: the path of its manifest (docs/models.md). Its templates get
# its own model id and are never compared with another model's; people enrolled with another
# model must enrol again.
# model = "/opt/models/acme-arcface.json"
"""


def default_toml(role: str = "standalone") -> str:
    """The commented configuration ``facegate init`` writes, for a process of this role."""
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}")
    if role == "standalone":
        return DEFAULT_TOML
    return DEFAULT_TOML.replace('# role = "standalone"', f'role = "{role}"', 1)


def write_config(data_dir: Path, role: str = "standalone") -> Path:
    """Write ``facegate.toml`` for a process of this role, unless there is one; its path.
    ``ConfigError`` when an existing one names another role."""
    path = data_dir / CONFIG_FILE
    if not path.exists():
        if not data_dir.is_dir():
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(data_dir, 0o700)  # mkdir's mode is filtered by the umask
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(default_toml(role))
        return path
    existing = load_settings(data_dir, env={}).role
    if existing != role:
        raise ConfigError(f"{data_dir} is set up as a {existing} process, not as {role}")
    return path


def _coerce_engine(values: dict[str, Any], base: EngineConfig) -> EngineConfig:
    allowed = {
        "detector": str,
        "backend": str,
        "threads": int,
        "working_size": int,
        "threshold": float,
        "upsample": int,
        "mirror": bool,
        "recipe": str,
        "time_budget": float,
        "model": str,
    }
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in allowed:
            raise ConfigError(f"unknown engine setting {key!r}")
        if allowed[key] is bool and not isinstance(value, bool):
            raise ConfigError(f"engine setting {key!r} must be true or false, not {value!r}")
        try:
            changes[key] = allowed[key](value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"engine setting {key!r} has a bad value: {value!r}") from exc
    if changes.get("backend", base.backend) not in BACKENDS:
        raise ConfigError(f"engine setting 'backend' must be one of {', '.join(BACKENDS)}")
    if changes.get("recipe", base.recipe) not in (None, *RECIPES):
        raise ConfigError(f"engine setting 'recipe' must be one of {', '.join(RECIPES)}")
    return replace(base, **changes)


def load_settings(data_dir: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    directory = Path(data_dir or env.get("FACEGATE_DATA_DIR") or DEFAULT_DATA_DIR)
    settings = Settings(data_dir=directory)
    path = directory / CONFIG_FILE
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        settings = _apply(settings, values, str(path))
    overrides: dict[str, Any] = {}
    top_level = (
        "database_url",
        "key_file",
        "journal_file",
        "consent_quiet_days",
        "reconsent_days",
        "suspension_max_days",
        "public_url",
        "liveness_threshold",
        "role",
        "offline_limit_hours",
        "face_workers",
        "face_queue",
        "time_zone",
    )
    for key in top_level:
        if f"FACEGATE_{key.upper()}" in env:
            overrides[key] = env[f"FACEGATE_{key.upper()}"]
    engine_env = {
        key: env[f"FACEGATE_ENGINE_{key.upper()}"]
        for key in ("detector", "backend", "threads", "working_size", "threshold", "model")
        if f"FACEGATE_ENGINE_{key.upper()}" in env
    }
    if engine_env:
        overrides["engine"] = engine_env
    return _apply(settings, overrides, "environment")


def _apply(settings: Settings, values: dict[str, Any], source: str) -> Settings:
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "engine":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [engine] must be a table")
            changes["engine"] = _coerce_engine(value, settings.engine)
        elif key in ("database_url", "public_url"):
            changes[key] = str(value).strip()
        elif key == "demo":
            changes[key] = value is True or str(value).strip().lower() in ("1", "true", "yes")
        elif key in ("key_file", "journal_file"):
            key_path = Path(str(value))
            changes[key] = key_path if key_path.is_absolute() else settings.data_dir / key_path
        elif key == "liveness_threshold":
            try:
                threshold = float(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{source}: liveness_threshold must be a number") from exc
            if not 0.0 <= threshold <= 1.0:
                raise ConfigError(f"{source}: liveness_threshold must be between 0 and 1")
            changes[key] = threshold
        elif key in (
            "consent_quiet_days",
            "reconsent_days",
            "suspension_max_days",
            "face_workers",
            "face_queue",
        ):
            try:
                changes[key] = int(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{source}: {key} must be a whole number") from exc
            if changes[key] < 0:
                raise ConfigError(f"{source}: {key} must not be negative")
        elif key == "time_zone":
            from facegate.messages.times import UnknownZone, zone

            try:
                zone(str(value).strip())
            except UnknownZone as exc:
                raise ConfigError(f"{source}: {exc}") from exc
            changes[key] = str(value).strip()
        elif key == "role":
            if str(value) not in ROLES:
                raise ConfigError(f"{source}: role must be one of {', '.join(ROLES)}")
            changes[key] = str(value)
        elif key == "offline_limit_hours":
            try:
                changes[key] = float(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{source}: offline_limit_hours must be a number") from exc
            if changes[key] <= 0:
                raise ConfigError(f"{source}: offline_limit_hours must be positive")
        else:
            raise ConfigError(f"{source}: unknown setting {key!r}")
    return replace(settings, **changes)

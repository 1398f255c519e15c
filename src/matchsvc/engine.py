"""The engine: one object that owns the model and caches and runs the pipeline.

The HTTP API, the CLI and the Python API all call the same :class:`Engine`, so the three doors
give the same answers. The model loads in the background; :attr:`Engine.ready` says when it is
usable.
"""

from __future__ import annotations

import logging
import threading
import time

from matchsvc.config import Settings
from matchsvc.errors import ConfigError
from matchsvc.scoring.encoder import Encoder, bundled_model_path, load_encoder

__all__ = ["Engine"]

log = logging.getLogger("matchsvc.engine")


class Engine:
    """Holds the encoder (loaded once) and everything derived from settings."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self._load_error: str | None = None
        self.model_load_seconds: float | None = None
        self._loaded = threading.Event()
        if encoder is not None:
            self._loaded.set()

    def check_model(self) -> None:
        """Fail fast, without loading, if the configured model directory cannot be a model."""
        if self._encoder is not None:
            return
        path = self.settings.model if self.settings.model is not None else bundled_model_path()
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ConfigError(
                f"no sentence-transformers model at {path} (no modules.json or config.json); "
                "unset MATCHSVC_MODEL to use the bundled model",
                field="MATCHSVC_MODEL",
            )

    def load(self) -> None:
        """Load and warm the model (blocking). Records a failure instead of raising it."""
        if self._loaded.is_set():
            return
        start = time.perf_counter()
        try:
            self._encoder = load_encoder(self.settings.model)
        except ConfigError as exc:
            self._load_error = exc.message
            log.error("model failed to load", extra={"error": exc.message})
            return
        self.model_load_seconds = time.perf_counter() - start
        self._loaded.set()
        log.info("model loaded", extra={"seconds": round(self.model_load_seconds, 2)})

    def load_in_background(self) -> threading.Thread:
        """Start :meth:`load` in a daemon thread and return it."""
        thread = threading.Thread(target=self.load, name="matchsvc-model-load", daemon=True)
        thread.start()
        return thread

    @property
    def ready(self) -> bool:
        """True once the model is loaded and warmed up."""
        return self._loaded.is_set()

    @property
    def load_error(self) -> str | None:
        """Why the model could not be loaded, if it could not."""
        return self._load_error

    @property
    def encoder(self) -> Encoder:
        """The loaded encoder; raises ConfigError before it is ready."""
        if self._encoder is None:
            raise ConfigError(self._load_error or "the embedding model is still loading")
        return self._encoder

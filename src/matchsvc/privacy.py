"""Erasing people from the embedding cache: the one function ``POST /cache/forget`` and
``matchsvc forget`` call.

The cache stores vectors keyed by ``sha256`` of each normalised text (never the text), so the
people's texts are hashed the same way (:func:`matchsvc.scoring.profile_texts`) and those keys
are deleted under every model id; a text longer than the model's window is cached as its pieces,
which are found with the model's tokenizer (:class:`~matchsvc.scoring.onnx_encoder.ModelTokens`:
no weights are loaded) and deleted too. Jobs hold their payloads verbatim: erase them with
``DELETE /jobs/{id}`` (see the README's "Data handling").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matchsvc.config import Settings
from matchsvc.engine import CACHE_FILE, Engine
from matchsvc.profiles import Profile
from matchsvc.scoring import forget_texts, profile_texts
from matchsvc.scoring.encoder import bundled_model_path
from matchsvc.scoring.onnx_encoder import ModelTokens

__all__ = ["Forgotten", "forget_people"]


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What :func:`forget_people` did.

    Attributes:
        people: profiles given.
        texts: distinct non-empty normalised texts among them (skills, goals and their
            themes, styles, wish topics).
        removed: cache entries removed, ``(model id, text)`` pairs found in memory or on disk.
    """

    people: int
    texts: int
    removed: int


def forget_people(
    settings: Settings, people: Sequence[Profile], engine: Engine | None = None
) -> Forgotten:
    """Erase the cached vectors of ``people``'s texts, under every model id.

    Args:
        settings: where the cache file is (``data_dir``) and whether there is one.
        people: whose texts; ids, attributes and the rest are not read.
        engine: a service's engine: once its model is loaded, its cache is used, so the
            in-memory copies go too. Without one (the CLI), or while the model loads, the file
            is changed directly; a missing file is not created.

    Raises:
        ConfigError: the cache file cannot be opened or changed.
    """
    texts = list(dict.fromkeys(t for person in people for t in profile_texts(person)))
    if engine is not None and engine.ready:
        removed = engine.cache.forget(texts)
    elif settings.embedding_cache:
        model = settings.model if settings.model is not None else bundled_model_path()
        removed = forget_texts(settings.data_dir / CACHE_FILE, texts, ModelTokens(model))
    else:
        removed = 0
    return Forgotten(people=len(people), texts=len(texts), removed=removed)

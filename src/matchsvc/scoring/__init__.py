"""Scoring: profiles -> embeddings -> facet similarities -> compatibility matrix + constraint mask.

A pure numeric core (numpy/scipy in, numpy/dataclasses out); the web layer converts to and from
these types. Typical use::

    cache = EmbeddingCache(load_encoder(), Path("data/embeddings.sqlite3"))
    compat = build_compatibility(mentees, mentors, ScoringOptions(), cache)
    compat.scores, compat.allowed  # -> the assignment solvers
"""

from __future__ import annotations

from matchsvc.scoring._calendar import SLOT_MINUTES, SLOTS_PER_WEEK, availability_slots
from matchsvc.scoring._compatibility import (
    COMMUNICATION_BLEND,
    Compatibility,
    build_compatibility,
    goal_themes,
)
from matchsvc.scoring._device import GPU_TOLERANCE, Device, Placement, place_encoder
from matchsvc.scoring._facets import MISSING, cosine_to_unit
from matchsvc.scoring._options import (
    CONSTRAINT_NAMES,
    DEFAULT_REFERENCE_DATE,
    DEFAULT_WEIGHTS,
    FACETS,
    MENTOR_FACET,
    Constraints,
    Criterion,
    CriterionKind,
    ScoringOptions,
    normalized_weights,
    validate_options,
)
from matchsvc.scoring._validate import ISO_639_1, validate_people
from matchsvc.scoring._wishes import WISHES_BLEND
from matchsvc.scoring.cache import (
    CacheStats,
    Embedder,
    EmbeddingCache,
    forget_texts,
    normalize_text,
    profile_texts,
    text_key,
)

__all__ = [
    "COMMUNICATION_BLEND",
    "CONSTRAINT_NAMES",
    "DEFAULT_REFERENCE_DATE",
    "DEFAULT_WEIGHTS",
    "FACETS",
    "GPU_TOLERANCE",
    "ISO_639_1",
    "MENTOR_FACET",
    "MISSING",
    "SLOTS_PER_WEEK",
    "SLOT_MINUTES",
    "WISHES_BLEND",
    "CacheStats",
    "Compatibility",
    "Constraints",
    "Criterion",
    "CriterionKind",
    "Device",
    "Embedder",
    "EmbeddingCache",
    "Placement",
    "ScoringOptions",
    "availability_slots",
    "build_compatibility",
    "cosine_to_unit",
    "forget_texts",
    "goal_themes",
    "normalize_text",
    "normalized_weights",
    "place_encoder",
    "profile_texts",
    "text_key",
    "validate_options",
    "validate_people",
]

"""The mentor -> mentee facet: how well a mentee fits what the mentor wishes to mentor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matchsvc.profiles import Profile
from matchsvc.scoring._evidence import (
    Evidence,
    any_shared,
    bits,
    blank_missing,
    zero_missing,
)
from matchsvc.scoring._facets import skills_facet
from matchsvc.scoring.cache import normalize_text

__all__ = ["NO_MENTOR_SIDE", "WISHES_BLEND", "MentorSide", "mentor_facet", "mentor_side"]

WISHES_BLEND: Mapping[str, float] = MappingProxyType(
    {"topics": 0.4, "career_stage": 0.2, "industry": 0.2, "languages": 0.2}
)
"""How the mentor -> mentee facet (:data:`~matchsvc.scoring.MENTOR_FACET`) mixes its parts.

Each compares the mentor's :class:`~matchsvc.profiles.Wishes` with the mentee's profile:

* ``topics``: for each skill the mentee wants, the closest topic the mentor wants to mentor on
  (the facets' cosine map), averaged over the mentee's skills: the share of the mentee's needs the
  mentor would like to work on (the skills facet's kernel, with the wish topics as the offer).
* ``career_stage``: 1 when the mentee's ``career_stage`` is one the mentor lists, else 0.
* ``industry``: 1 when the mentee's ``industry`` is one the mentor lists, else 0.
* ``languages``: 1 when the mentee speaks a language the mentor wishes to mentor in, else 0.

Texts compare case-insensitively after whitespace normalisation. A part is missing (adds 0)
when the mentor gave no such wish or the mentee no such field. Topics, stages, industries and
languages weigh 0.4 / 0.2 / 0.2 / 0.2: what the mentor wants to work on leads.
"""

_BITS = {"topics": 1, "career_stage": 2, "industry": 4, "languages": 8}


@dataclass(frozen=True, slots=True)
class MentorSide:
    """What the mentor -> mentee facet compares (labels case-folded, ``""`` = not given)."""

    mentee_stage: tuple[str, ...]
    mentee_industry: tuple[str, ...]
    mentor_stages: tuple[frozenset[str], ...]
    mentor_industries: tuple[frozenset[str], ...]
    mentor_languages: tuple[frozenset[str], ...]
    mentor_topics: tuple[tuple[int, ...], ...]


NO_MENTOR_SIDE = MentorSide((), (), (), (), (), ())
"""What a request without any mentor wish keeps (nothing: the facet does not apply)."""


def _label(text: str) -> str:
    return normalize_text(text).casefold()


def mentor_side(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    mentee_skills: Sequence[Sequence[int]],
    mentee_languages: Sequence[frozenset[str]],
    mentor_topics: tuple[tuple[int, ...], ...],
) -> tuple[MentorSide, Evidence]:
    """The compared data and who filled in which part (skills and topics as text rows)."""
    side = MentorSide(
        mentee_stage=tuple(_label(p.career_stage) for p in mentees),
        mentee_industry=tuple(_label(p.industry) for p in mentees),
        mentor_stages=tuple(
            frozenset(_label(s) for s in p.wishes.career_stages if _label(s)) for p in mentors
        ),
        mentor_industries=tuple(
            frozenset(_label(s) for s in p.wishes.industries if _label(s)) for p in mentors
        ),
        mentor_languages=tuple(frozenset(c.lower() for c in p.wishes.languages) for p in mentors),
        mentor_topics=mentor_topics,
    )

    def has(items: Sequence[Any]) -> NDArray[np.bool_]:
        return np.array([bool(x) for x in items], dtype=np.bool_)

    b = _BITS
    ev = Evidence(
        tuple(WISHES_BLEND.values()),
        bits(
            (b["topics"], has(mentee_skills)),
            (b["career_stage"], has(side.mentee_stage)),
            (b["industry"], has(side.mentee_industry)),
            (b["languages"], has(mentee_languages)),
        ),
        bits(
            (b["topics"], has(mentor_topics)),
            (b["career_stage"], has(side.mentor_stages)),
            (b["industry"], has(side.mentor_industries)),
            (b["languages"], has(side.mentor_languages)),
        ),
    )
    return side, ev


def mentor_facet(
    vectors: NDArray[np.float32],
    mentee_skills: Sequence[Sequence[int]],
    mentee_languages: Sequence[frozenset[str]],
    side: MentorSide,
    ev: Evidence,
) -> NDArray[np.float32]:
    """The facet, ``(n, m)`` float32: :data:`WISHES_BLEND` of the parts (missing parts 0, NaN
    where every part is missing)."""
    blend = WISHES_BLEND
    out = zero_missing(skills_facet(vectors, mentee_skills, side.mentor_topics))
    out *= np.float32(blend["topics"])
    for name, mine, theirs in (
        (
            "career_stage",
            [frozenset([x] if x else []) for x in side.mentee_stage],
            side.mentor_stages,
        ),
        (
            "industry",
            [frozenset([x] if x else []) for x in side.mentee_industry],
            side.mentor_industries,
        ),
        ("languages", mentee_languages, side.mentor_languages),
    ):
        out += np.float32(blend[name]) * any_shared(mine, theirs)  # 0 where either is empty
    np.clip(out, 0.0, 1.0, out=out)
    blank_missing(out, ev)
    return out

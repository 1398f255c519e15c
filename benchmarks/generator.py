"""Synthetic mentoring programmes with planted structure, for benchmarks and tests.

A programme is a list of mentee and mentor :class:`~matchsvc.profiles.Profile` objects plus the
*planted truth* that generated them. The latent model, per person:

1. a **domain** and a **sub-topic** of :data:`benchmarks.taxonomy.DOMAINS` (the latent cluster,
   ``cluster = 4 * domain + subtopic``), drawn from fixed, slightly different shares for mentees
   and mentors, so some topics are scarce in mentors;
2. a **latent interest vector** over the 24 skills of the domain: a Dirichlet draw whose mass is
   concentrated on the six skills of the sub-topic (``alpha = 0.15`` elsewhere in the domain,
   ``2.0`` in the sub-topic);
3. observed fields drawn from it: skills (a weighted sample without replacement from the latent
   vector, sometimes plus one skill from another domain), a goal sentence built from the
   sub-topic's themes (sometimes mentioning a sibling sub-topic), and nuisance fields independent
   of the latent cluster: communication style, channels, languages, time zone, availability,
   meeting frequency, organisation, capacity (mentors) and demand (mentees).

**Planted affinity** of mentee ``i`` and mentor ``j``: ``1[same cluster] + cos(z_i, z_j)`` when
they share a domain, undefined (never a best fit) otherwise; mentors on ``i``'s ``exclude`` list
are never a best fit either. :attr:`PlantedTruth.best` lists each mentee's ``k`` mentors of highest
planted affinity, best first, ties broken by mentor index, padded with ``-1`` when fewer than ``k``
mentors share the domain. So a mentee's planted best mentors are exactly those of its latent
cluster first, ordered by how close their latent interests are.

**Feedback** (for learning weights from outcomes): a programme may carry hidden true facet
weights, :class:`OutcomeTruth`; :func:`history_pairs` draws past pairs, :func:`draw_feedback`
draws each side's rating and the outcome from a pair's facet row under those weights plus noise,
and :func:`synthetic_facets` makes facet rows without profiles. These draw from their own seeds,
so a programme's people and planted truth are the same with or without them.

Everything is drawn from one ``numpy.random.Generator`` seeded explicitly: the same arguments give
identical profiles and truth. Free texts come from templates, so the number of distinct texts is
bounded (about 1,500 at most) whatever the number of people, which keeps cold embedding cheap.
Tested from 50 to 100,000 people.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from benchmarks.taxonomy import (
    COMMUNICATION_STYLES,
    DOMAINS,
    LANGUAGES,
    ORGANISATIONS,
    TIMEZONES,
)
from matchsvc.profiles import CHANNELS, FREQUENCIES, Availability, Communication, Profile

__all__ = [
    "Feedback",
    "OutcomeTruth",
    "PlantedTruth",
    "Programme",
    "draw_feedback",
    "generate_programme",
    "history_pairs",
    "planted_best",
    "synthetic_facets",
]

N_DOMAINS = len(DOMAINS)
N_SUB = len(DOMAINS[0].subtopics)
SKILLS_PER_SUB = len(DOMAINS[0].subtopics[0].skills)
LATENT_DIM = N_SUB * SKILLS_PER_SUB  # latent interests live on the skills of one domain
N_CLUSTERS = N_DOMAINS * N_SUB

# Shares of the domains among mentees and mentors: mentors are scarce in data/ML and product.
_MENTEE_DOMAIN_SHARE = np.array([0.22, 0.22, 0.14, 0.14, 0.10, 0.10, 0.08])
_MENTOR_DOMAIN_SHARE = np.array([0.24, 0.16, 0.11, 0.20, 0.10, 0.11, 0.08])
_CAPACITY_VALUES = np.array([1, 2, 3, 4, 5])
_CAPACITY_SHARE = np.array([0.10, 0.25, 0.35, 0.20, 0.10])  # mean 2.95
_DEMAND_VALUES = np.array([1, 2])
_DEMAND_SHARE = np.array([0.9, 0.1])  # mean 1.1
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_MENTEE_TEMPLATES = (
    "I want to get better at {a}.",
    "Looking for guidance on {a} as I grow in {d}.",
    "My goal this year: {a}, and some {b} too.",
    "I am new to {d} and want help with {a}.",
)
_MENTOR_TEMPLATES = (
    "As a {r} I enjoy helping people with {a}.",
    "I can share {y} years of experience in {a} and {b}.",
    "Happy to mentor on {a} and careers in {d}.",
    "{y} years in {d}; ask me about {a}.",
)
_YEARS = ("5", "10", "15", "20")


@dataclass(frozen=True, slots=True)
class PlantedTruth:
    """The latent variables a programme was drawn from (row ``i`` = ``mentees[i]``).

    Attributes:
        mentee_cluster: ``(n,)`` int64 latent cluster, ``4 * domain + subtopic``.
        mentor_cluster: ``(m,)`` int64.
        mentee_latent: ``(n, 24)`` float32 latent interests over the mentee's domain skills
            (unit L2 norm).
        mentor_latent: ``(m, 24)`` float32, same for mentors.
        excluded: ``(e, 2)`` int64 (mentee, mentor) pairs from the mentees' exclude lists.
        best: ``(n, k)`` int64 planted best mentors, best first, ``-1`` padding (see module doc).
    """

    mentee_cluster: NDArray[np.int64]
    mentor_cluster: NDArray[np.int64]
    mentee_latent: NDArray[np.float32]
    mentor_latent: NDArray[np.float32]
    excluded: NDArray[np.int64]
    best: NDArray[np.int64]

    @property
    def mentee_domain(self) -> NDArray[np.int64]:
        """``(n,)`` latent domain of each mentee."""
        return self.mentee_cluster // N_SUB

    @property
    def mentor_domain(self) -> NDArray[np.int64]:
        """``(m,)`` latent domain of each mentor."""
        return self.mentor_cluster // N_SUB


@dataclass(frozen=True, slots=True)
class Programme:
    """A generated programme: people plus the truth they were drawn from.

    ``outcome_truth`` (``None`` unless asked for) holds the hidden facet weights that generate
    the programme's feedback (:func:`draw_feedback`); it draws nothing at generation time, so the
    people and the planted truth are the same with or without it.
    """

    mentees: tuple[Profile, ...]
    mentors: tuple[Profile, ...]
    truth: PlantedTruth
    seed: int
    outcome_truth: OutcomeTruth | None = None

    @property
    def capacity(self) -> NDArray[np.int64]:
        """``(m,)`` mentor capacities."""
        return np.array([p.capacity for p in self.mentors], dtype=np.int64)

    @property
    def demand(self) -> NDArray[np.int64]:
        """``(n,)`` mentee demands."""
        return np.array([p.demand for p in self.mentees], dtype=np.int64)

    def texts(self) -> set[str]:
        """Every distinct free text of the programme (skills, goals, styles)."""
        out: set[str] = set()
        for p in (*self.mentees, *self.mentors):
            out.update(p.skills)
            out.add(p.goals)
            out.add(p.communication.style)
        out.discard("")
        return out

    def subset(self, n_mentees: int, n_mentors: int) -> Programme:
        """The first ``n_mentees`` mentees and first ``n_mentors`` mentors, truth recomputed.

        People are drawn independently, so a prefix is itself a sample of the same model; the
        texts of a prefix are a subset of the whole's (an embedding cache stays warm).
        Exclusions of mentors outside the prefix are dropped from the mentees' ``exclude``.
        """
        if not (1 <= n_mentees <= len(self.mentees) and 1 <= n_mentors <= len(self.mentors)):
            raise ValueError(
                f"subset ({n_mentees}, {n_mentors}) must be within (1..{len(self.mentees)}, "
                f"1..{len(self.mentors)})"
            )
        t = self.truth
        keep = (t.excluded[:, 0] < n_mentees) & (t.excluded[:, 1] < n_mentors)
        excluded = t.excluded[keep]
        k = t.best.shape[1]
        best = planted_best(
            t.mentee_cluster[:n_mentees],
            t.mentor_cluster[:n_mentors],
            t.mentee_latent[:n_mentees],
            t.mentor_latent[:n_mentors],
            excluded,
            k=k,
        )
        truth = PlantedTruth(
            t.mentee_cluster[:n_mentees],
            t.mentor_cluster[:n_mentors],
            t.mentee_latent[:n_mentees],
            t.mentor_latent[:n_mentors],
            excluded,
            best,
        )
        kept = {f"mentor-{j:06d}" for j in excluded[:, 1].tolist()}
        mentees = tuple(
            replace(p, exclude=tuple(x for x in p.exclude if x in kept)) if p.exclude else p
            for p in self.mentees[:n_mentees]
        )
        return Programme(mentees, self.mentors[:n_mentors], truth, self.seed, self.outcome_truth)


def planted_best(
    mentee_cluster: NDArray[np.int64],
    mentor_cluster: NDArray[np.int64],
    mentee_latent: NDArray[np.float32],
    mentor_latent: NDArray[np.float32],
    excluded: NDArray[np.int64],
    *,
    k: int = 5,
) -> NDArray[np.int64]:
    """Each mentee's ``k`` mentors of highest planted affinity (see the module docstring).

    Returns an ``(n, k)`` int64 array, best first, ties broken by lower mentor index, ``-1`` where
    fewer than ``k`` eligible mentors (same domain, not excluded) exist. Works domain by domain,
    so memory stays at one domain's block even for 100,000 people.
    """
    n = len(mentee_cluster)
    best = np.full((n, k), -1, dtype=np.int64)
    mentee_domain = mentee_cluster // N_SUB
    mentor_domain = mentor_cluster // N_SUB
    excl_by_mentee: dict[int, list[int]] = {}
    for i, j in excluded.tolist():
        excl_by_mentee.setdefault(i, []).append(j)
    for d in range(N_DOMAINS):
        rows = np.flatnonzero(mentee_domain == d)
        cols = np.flatnonzero(mentor_domain == d)
        if rows.size == 0 or cols.size == 0:
            continue
        col_pos = {int(j): p for p, j in enumerate(cols)}
        for start in range(0, rows.size, 4096):
            r = rows[start : start + 4096]
            aff = mentee_latent[r].astype(np.float64) @ mentor_latent[cols].astype(np.float64).T
            aff += mentee_cluster[r, None] == mentor_cluster[None, cols]
            for local, i in enumerate(r.tolist()):
                for j in excl_by_mentee.get(i, ()):
                    if j in col_pos:
                        aff[local, col_pos[j]] = -np.inf
            kk = min(k, cols.size)
            if kk < cols.size:
                cand = np.argpartition(-aff, kk - 1, axis=1)[:, :kk]
            else:
                cand = np.broadcast_to(np.arange(cols.size), (r.size, cols.size))
            cand = np.sort(cand, axis=1)  # lower mentor index first among equal affinities
            rank = np.argsort(-np.take_along_axis(aff, cand, axis=1), axis=1, kind="stable")
            order = np.take_along_axis(cand, rank, axis=1)
            top = cols[order]
            valid = np.take_along_axis(aff, order, axis=1) > -np.inf
            best[r, :kk] = np.where(valid, top, -1)
    return best


def _pick(rng: np.random.Generator, share: NDArray[np.float64], size: int) -> NDArray[np.int64]:
    return rng.choice(len(share), size=size, p=share / share.sum()).astype(np.int64)


def _latent(rng: np.random.Generator, sub: NDArray[np.int64]) -> NDArray[np.float64]:
    """Dirichlet interests over the 24 domain skills, concentrated on the sub-topic's six."""
    alpha = np.full((sub.size, LATENT_DIM), 0.15)
    own = sub[:, None] * SKILLS_PER_SUB + np.arange(SKILLS_PER_SUB)[None, :]
    np.put_along_axis(alpha, own, 2.0, axis=1)
    g: NDArray[np.float64] = np.maximum(rng.gamma(alpha), 1e-12)
    out: NDArray[np.float64] = g / g.sum(axis=1, keepdims=True)
    return out


def _people(
    rng: np.random.Generator,
    count: int,
    domain_share: NDArray[np.float64],
    *,
    mentor: bool,
) -> tuple[list[dict[str, object]], NDArray[np.int64], NDArray[np.float32]]:
    """Draw ``count`` people of one side; returns their fields, clusters and latent vectors."""
    domain = _pick(rng, domain_share, count)
    sub = rng.integers(0, N_SUB, size=count).astype(np.int64)
    cluster = domain * N_SUB + sub
    weights = _latent(rng, sub)
    n_skills = rng.integers(4, 9, size=count) if mentor else rng.integers(3, 7, size=count)
    # weighted sampling without replacement: top-k of log(w) + Gumbel noise
    keys = np.log(weights) + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1)
    noise_skill = rng.random(count) < 0.15
    noise_domain = (domain + rng.integers(1, N_DOMAINS, size=count)) % N_DOMAINS
    noise_idx = rng.integers(0, LATENT_DIM, size=count)
    second_sub = (sub + rng.integers(1, N_SUB, size=count)) % N_SUB
    mention_second = rng.random(count) < 0.3
    theme_a = rng.integers(0, 1 << 30, size=count)
    theme_b = rng.integers(0, 1 << 30, size=count)
    templates = _MENTOR_TEMPLATES if mentor else _MENTEE_TEMPLATES
    template = rng.integers(0, len(templates), size=count)
    role = rng.integers(0, 3, size=count)
    years = rng.integers(0, len(_YEARS), size=count)
    style = rng.integers(0, len(COMMUNICATION_STYLES), size=count)
    lang_names = [name for name, _ in LANGUAGES]
    lang = _pick(rng, np.array([s for _, s in LANGUAGES]), count)
    speaks_en = rng.random(count) < 0.8
    tz_names = [name for name, _ in TIMEZONES]
    tz = _pick(rng, np.array([s for _, s in TIMEZONES]), count)
    channel_mask = rng.random((count, len(CHANNELS))) < 0.5
    channel_mask[np.arange(count), rng.integers(0, len(CHANNELS), size=count)] = True
    freq = rng.integers(0, len(FREQUENCIES), size=count)
    n_slots = rng.integers(1, 4, size=count)
    slot_day = rng.integers(0, 5, size=(count, 3))
    slot_start = rng.integers(8, 19, size=(count, 3))
    org = rng.integers(0, len(ORGANISATIONS), size=count)
    capacity = _CAPACITY_VALUES[_pick(rng, _CAPACITY_SHARE, count)]
    demand = _DEMAND_VALUES[_pick(rng, _DEMAND_SHARE, count)]
    seniority = rng.integers(8, 25, size=count) if mentor else rng.integers(0, 8, size=count)

    people: list[dict[str, object]] = []
    for p in range(count):
        d = DOMAINS[int(domain[p])]
        t = d.subtopics[int(sub[p])]
        skills = [
            d.subtopics[int(q) // SKILLS_PER_SUB].skills[int(q) % SKILLS_PER_SUB]
            for q in order[p, : int(n_skills[p])]
        ]
        if noise_skill[p]:
            nd = DOMAINS[int(noise_domain[p])]
            q = int(noise_idx[p])
            skills.append(nd.subtopics[q // SKILLS_PER_SUB].skills[q % SKILLS_PER_SUB])
        a = t.themes[int(theme_a[p]) % len(t.themes)]
        other = d.subtopics[int(second_sub[p])] if mention_second[p] else t
        b_choices = [x for x in other.themes if x != a] or list(other.themes)
        b = b_choices[int(theme_b[p]) % len(b_choices)]
        goals = templates[int(template[p])].format(
            a=a, b=b, d=d.name, r=d.roles[int(role[p])], y=_YEARS[int(years[p])]
        )
        languages = [lang_names[int(lang[p])]]
        if languages[0] != "en" and speaks_en[p]:
            languages.append("en")
        slots = sorted(
            {(int(slot_day[p, s]), int(slot_start[p, s])) for s in range(int(n_slots[p]))}
        )
        availability = tuple(
            Availability(day=_DAYS[dd], start=f"{h:02d}:00", end=f"{h + 2:02d}:00")  # type: ignore[arg-type]
            for dd, h in slots
        )
        people.append(
            {
                "skills": tuple(skills),
                "goals": goals,
                "communication": Communication(
                    style=COMMUNICATION_STYLES[int(style[p])],
                    channels=tuple(
                        c for c, on in zip(CHANNELS, channel_mask[p], strict=True) if on
                    ),
                    languages=tuple(languages),
                    timezone=tz_names[int(tz[p])],
                    availability=availability,
                    frequency=FREQUENCIES[int(freq[p])],
                ),
                "attributes": MappingProxyType(
                    {
                        "organisation": ORGANISATIONS[int(org[p])],
                        "years_experience": int(seniority[p]),
                        "domain": d.name,
                    }
                ),
                "capacity": int(capacity[p]) if mentor else 1,
                "demand": 1 if mentor else int(demand[p]),
            }
        )
    latent = weights / np.linalg.norm(weights, axis=1, keepdims=True)
    return people, cluster, latent.astype(np.float32)


def generate_programme(
    n_mentees: int,
    n_mentors: int | None = None,
    *,
    seed: int,
    exclude_rate: float = 0.02,
    truth_k: int = 5,
    outcome_truth: OutcomeTruth | None = None,
) -> Programme:
    """Draw a synthetic programme of ``n_mentees`` mentees and ``n_mentors`` mentors.

    Args:
        n_mentees: number of mentees, at least 1.
        n_mentors: number of mentors; default ``ceil(n_mentees / 2.5)``, which with the mean
            capacity 2.95 and mean demand 1.1 gives about 7% more mentor places than requests.
        seed: seed of the ``numpy.random.Generator`` (PCG64) every draw comes from.
        exclude_rate: share of mentees who exclude one random mentor (``Profile.exclude``).
        truth_k: how many planted best mentors to record per mentee.
        outcome_truth: hidden facet weights for the programme's feedback, attached as
            :attr:`Programme.outcome_truth` (no draw: everything else is unchanged).

    Returns:
        A :class:`Programme`; identical for identical arguments. ``mentees[i].id`` is
        ``"mentee-{i:06d}"``, ``mentors[j].id`` is ``"mentor-{j:06d}"``.

    Raises:
        ValueError: a count below 1, ``exclude_rate`` outside [0, 1] or ``truth_k`` below 1.
    """
    if n_mentors is None:
        n_mentors = max(1, math.ceil(n_mentees / 2.5))
    if n_mentees < 1 or n_mentors < 1:
        raise ValueError(
            f"need at least one mentee and one mentor, got {n_mentees} and {n_mentors}"
        )
    if not 0.0 <= exclude_rate <= 1.0:
        raise ValueError(f"exclude_rate must be in [0, 1], got {exclude_rate}")
    if truth_k < 1:
        raise ValueError(f"truth_k must be at least 1, got {truth_k}")
    rng = np.random.default_rng(seed)
    mentee_fields, mentee_cluster, mentee_latent = _people(
        rng, n_mentees, _MENTEE_DOMAIN_SHARE, mentor=False
    )
    mentor_fields, mentor_cluster, mentor_latent = _people(
        rng, n_mentors, _MENTOR_DOMAIN_SHARE, mentor=True
    )
    excluding = np.flatnonzero(rng.random(n_mentees) < exclude_rate)
    excluded_mentor = rng.integers(0, n_mentors, size=excluding.size)
    excluded = np.stack([excluding, excluded_mentor], axis=1).astype(np.int64).reshape(-1, 2)
    exclude_of = {int(i): f"mentor-{int(j):06d}" for i, j in excluded.tolist()}
    mentees = tuple(
        Profile(
            id=f"mentee-{i:06d}",
            exclude=(exclude_of[i],) if i in exclude_of else (),
            **f,  # type: ignore[arg-type]
        )
        for i, f in enumerate(mentee_fields)
    )
    mentors = tuple(
        Profile(id=f"mentor-{j:06d}", **f)  # type: ignore[arg-type]
        for j, f in enumerate(mentor_fields)
    )
    best = planted_best(
        mentee_cluster, mentor_cluster, mentee_latent, mentor_latent, excluded, k=truth_k
    )
    truth = PlantedTruth(
        mentee_cluster, mentor_cluster, mentee_latent, mentor_latent, excluded, best
    )
    return Programme(mentees, mentors, truth, seed, outcome_truth)


# --------------------------------------------------------------------------- feedback


@dataclass(frozen=True, slots=True)
class OutcomeTruth:
    """Hidden true facet weights that generate feedback on past pairs (:func:`draw_feedback`).

    The feedback model, per rated pair with facet row ``x`` (NaN = missing, counts 0):

    1. true score ``u = sum_f weights[f] * x_f``, standardised over the rated pairs
       (``u_std``: mean 0, sd 1; all 0 when every pair scores the same);
    2. each side's latent satisfaction ``z = signal * u_std + noise * e``, ``e`` standard normal,
       independent per side (mentee, mentor);
    3. each side's rating is 1 plus the number of cut points ``z`` exceeds, the cut points being
       the ``rating_shares`` quantiles of ``N(0, signal^2 + noise^2)``, so ratings 1..5 come out
       in about those shares; each side's rating is reported with probability ``report_rate``
       (one-sided and unrated records happen);
    4. the outcome, recorded with probability ``outcome_rate``: ``good`` when the mean of the two
       sides' ratings (reported or not) is at least 4, ``bad`` at most 2, else ``neutral``.

    ``signal = 0`` gives pure-noise feedback that says nothing about the facets. ``noise`` is in
    units of the true score's spread: ``noise = 1`` means one rater's noise is as large as the
    whole spread of the true score across pairs.

    Raises:
        ValueError: a negative or non-finite weight, weights all 0, ``signal`` or ``noise``
            negative or both 0, ``rating_shares`` not five positive numbers, a rate outside
            [0, 1].
    """

    weights: Mapping[str, float]
    signal: float = 1.0
    noise: float = 0.5
    rating_shares: tuple[float, ...] = (0.05, 0.10, 0.25, 0.35, 0.25)
    report_rate: float = 0.8
    outcome_rate: float = 0.5

    def __post_init__(self) -> None:
        w = np.array(list(self.weights.values()), dtype=np.float64)
        if w.size == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights must be finite, non-negative, not all 0: {self.weights}")
        if not (self.signal >= 0 and self.noise >= 0 and self.signal + self.noise > 0):
            raise ValueError(
                f"signal and noise must be >= 0, not both 0: {self.signal}, {self.noise}"
            )
        shares = np.array(self.rating_shares, dtype=np.float64)
        if shares.shape != (5,) or not (shares > 0).all():
            raise ValueError(f"rating_shares must be five positive shares: {self.rating_shares}")
        for name in ("report_rate", "outcome_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")

    def weight_vector(self, facet_names: Sequence[str]) -> NDArray[np.float64]:
        """The true weights in ``facet_names`` order (absent = 0), normalised to sum 1.

        Raises:
            ValueError: a weight names a facet not in ``facet_names``.
        """
        unknown = set(self.weights) - set(facet_names)
        if unknown:
            raise ValueError(f"true weights name unknown facets {sorted(unknown)}")
        w = np.array([float(self.weights.get(n, 0.0)) for n in facet_names])
        out: NDArray[np.float64] = w / w.sum()
        return out


@dataclass(frozen=True, slots=True)
class Feedback:
    """Feedback drawn for rated pairs (row ``r`` = row ``r`` of the facet matrix).

    Attributes:
        mentee_rating, mentor_rating: ``(k,)`` float64 ratings 1..5, NaN where not reported.
        outcome: ``k`` entries ``"good"``, ``"neutral"``, ``"bad"`` or ``None`` (not recorded).
        true_score: ``(k,)`` the hidden true score ``u`` (before standardising).
    """

    mentee_rating: NDArray[np.float64]
    mentor_rating: NDArray[np.float64]
    outcome: tuple[str | None, ...]
    true_score: NDArray[np.float64]


def draw_feedback(
    truth: OutcomeTruth,
    features: ArrayLike,
    facet_names: Sequence[str],
    *,
    seed: int,
) -> Feedback:
    """Draw each pair's feedback from ``truth`` (model in :class:`OutcomeTruth`).

    Args:
        truth: hidden weights and noise.
        features: ``(k, F)`` facet similarities in [0, 1], NaN = missing.
        facet_names: the ``F`` column names.
        seed: seed of the draws; independent of the programme's own stream.

    Returns:
        A :class:`Feedback`; identical for identical arguments.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(facet_names):
        raise ValueError(f"features shape {x.shape} does not match {len(facet_names)} facets")
    k = x.shape[0]
    u = np.nan_to_num(x, nan=0.0) @ truth.weight_vector(facet_names)
    sd = float(u.std()) if k else 0.0
    u_std = (u - u.mean()) / sd if sd > 0 else np.zeros(k)
    rng = np.random.default_rng(seed)
    z = truth.signal * u_std[:, None] + truth.noise * rng.standard_normal((k, 2))
    cum = np.cumsum(np.asarray(truth.rating_shares, dtype=np.float64))
    cuts = ndtri(cum[:-1] / cum[-1]) * math.hypot(truth.signal, truth.noise)
    ratings = 1.0 + (z[:, :, None] > cuts[None, None, :]).sum(axis=2)
    mean = ratings.mean(axis=1)
    outcome_all = np.where(mean >= 4.0, "good", np.where(mean <= 2.0, "bad", "neutral"))
    reported = rng.random((k, 2)) < truth.report_rate
    recorded = rng.random(k) < truth.outcome_rate
    shown = np.where(reported, ratings, np.nan)
    return Feedback(
        mentee_rating=shown[:, 0].copy(),
        mentor_rating=shown[:, 1].copy(),
        outcome=tuple(str(o) if r else None for o, r in zip(outcome_all, recorded, strict=True)),
        true_score=u,
    )


def history_pairs(
    programme: Programme,
    n_pairs: int,
    *,
    seed: int,
    same_domain_share: float = 0.5,
    repeat_rate: float = 0.0,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Past (mentee, mentor) index pairs for a feedback history.

    ``n_pairs`` distinct pairs: about ``same_domain_share`` of them with mentor and mentee in
    the same latent domain (past matches were mostly sensible), the rest uniform; then
    ``round(repeat_rate * n_pairs)`` repeats of already drawn pairs (a pair rated in two
    cycles), appended. Without replacement among distinct pairs.

    Returns:
        ``(mentee_index, mentor_index)`` int64 arrays of equal length.

    Raises:
        ValueError: more distinct pairs than the programme has, or a share outside [0, 1].
    """
    n, m = len(programme.mentees), len(programme.mentors)
    if not 0 < n_pairs <= n * m // 2:
        raise ValueError(f"n_pairs must be in 1..{n * m // 2} for {n} x {m}, got {n_pairs}")
    if not (0.0 <= same_domain_share <= 1.0 and 0.0 <= repeat_rate <= 1.0):
        raise ValueError("same_domain_share and repeat_rate must be in [0, 1]")
    rng = np.random.default_rng(seed)
    t = programme.truth
    by_domain = [np.flatnonzero(t.mentor_domain == d) for d in range(N_DOMAINS)]
    keys: list[int] = []
    seen: set[int] = set()
    while len(keys) < n_pairs:
        draw = 2 * (n_pairs - len(keys)) + 16
        i = rng.integers(0, n, size=draw)
        j = rng.integers(0, m, size=draw)
        same = rng.random(draw) < same_domain_share
        for a, b, s in zip(i.tolist(), j.tolist(), same.tolist(), strict=True):
            if s:
                pool = by_domain[int(t.mentee_domain[a])]
                if pool.size == 0:
                    continue
                b = int(pool[b % pool.size])
            key = a * m + b
            if key not in seen:
                seen.add(key)
                keys.append(key)
                if len(keys) == n_pairs:
                    break
    base = np.array(keys, dtype=np.int64)
    repeats = rng.choice(base, size=round(repeat_rate * n_pairs), replace=True)
    allk = np.concatenate([base, repeats])
    return allk // m, allk % m


def synthetic_facets(
    n_pairs: int,
    n_facets: int,
    *,
    seed: int,
    missing_rate: float = 0.0,
    binary: Sequence[int] = (),
) -> NDArray[np.float64]:
    """A facet matrix without profiles or embeddings: ``(n_pairs, n_facets)`` in [0, 1].

    Columns are independent Beta(2, 2) draws, except the ``binary`` columns (pass/fail soft
    criteria: 0 or 1 with probability 1/2); each entry is NaN (missing) with probability
    ``missing_rate``.
    """
    rng = np.random.default_rng(seed)
    x = rng.beta(2.0, 2.0, size=(n_pairs, n_facets))
    for c in binary:
        x[:, c] = (rng.random(n_pairs) < 0.5).astype(np.float64)
    x[rng.random((n_pairs, n_facets)) < missing_rate] = np.nan
    return x

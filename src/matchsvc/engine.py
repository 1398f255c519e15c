"""The engine: one object that owns the model and caches and runs the pipeline.

The HTTP API, the CLI and the Python API all call the same :class:`Engine`, so the three doors
give the same answers. The model loads in the background; :attr:`Engine.ready` says when it is
usable.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import overload

import numpy as np

from matchsvc.assignment import (
    BlockExecutor,
    GroupFloor,
    assign,
    assign_group_fair,
    assign_peers,
    form_circles,
)
from matchsvc.audit import AuditReport, HistoryPair
from matchsvc.budget import BudgetedEncoder, CheckpointedEmbedder
from matchsvc.config import Settings
from matchsvc.errors import ConfigError, LimitExceededError
from matchsvc.learning import LearnResult
from matchsvc.pipelines import (
    AuditSettings,
    CircleOptions,
    CirclesReport,
    CurrentPair,
    Feedback,
    LearnSettings,
    MatchOptions,
    MatchReport,
    PastPair,
    PeerMatchReport,
    PeerOptions,
    Recommendation,
    RematchPolicy,
    RematchReport,
    audit,
    check_pool,
    check_pool_limits,
    learn,
    match,
    peer_circles,
    peer_match,
    recommend,
    rematch,
    score,
)
from matchsvc.profiles import Profile
from matchsvc.scoring import Compatibility, EmbeddingCache, ScoringOptions
from matchsvc.scoring.encoder import (
    Encoder,
    TokenCounter,
    check_encoder,
    load_encoder,
)

__all__ = ["Engine", "build_encoder"]

CACHE_FILE = "embeddings.sqlite3"

log = logging.getLogger("matchsvc.engine")


def _warm_up_solvers() -> None:
    """Load the exact solvers' compiled kernels (numba) before the first request needs them."""
    scores = np.array([[1.0, 0.5], [0.5, 1.0]])
    for name in ("flow", "pricing"):
        assign(scores, solver=name)
        assign(scores, solver=name, objective="fair")
    # the group floors' repair kernel, on a floor that binds: group 1 needs one of the 2 slots
    floors = [GroupFloor("g", min_matched_share=0.5)]
    assign_group_fair(np.array([[1.0], [0.9], [0.1]]), {"g": [0, 0, 1]}, floors, capacity=[2])
    # peer pairs (blossom, pricing, certificate check) and circles (local search, bound)
    rng = np.random.default_rng(0)
    pool = rng.random((24, 24))
    pool = (pool + pool.T) / 2
    assign_peers(pool, candidates=2)  # few candidates: the pricing passes run too
    form_circles(pool, 3, 4, leader_scores=rng.random((24, 6)), leader_capacity=[2] * 6)


def build_encoder(settings: Settings) -> Encoder:
    """The configured encoder, loaded and warm; with ``MATCHSVC_RAY_ADDRESS``, a
    :class:`~matchsvc.cluster.RayEncoder` that encodes large calls on the cluster.

    Raises:
        ConfigError: as :func:`~matchsvc.scoring.encoder.load_encoder`, or Ray is missing or
            unreachable.
    """
    s = settings
    cache_dir = s.data_dir / "onnx"
    placement = check_encoder(
        s.model, backend=s.encoder_backend, cache_dir=cache_dir, device=s.device
    )
    encoder = load_encoder(
        s.model,
        backend=placement.backend,
        cache_dir=cache_dir,
        threads=s.encoder_threads,
        device=placement.device,
    )
    if s.ray_address is None:
        return encoder
    from matchsvc.cluster import EncoderSpec, RayEncoder, connect

    cluster = connect(s.ray_address)
    threads = s.encoder_threads or 1
    spec = EncoderSpec(s.model, placement.backend, cache_dir.resolve(), threads, placement.device)
    workers = s.ray_workers or max(1, cluster.cpus // threads)
    return RayEncoder(encoder, spec, workers=workers)


class Engine:
    """Holds the encoder (loaded once) and everything derived from settings.

    With ``MATCHSVC_RAY_ADDRESS`` set, :attr:`block_executor` runs the ``pricing`` solver's
    full passes on that Ray cluster and :func:`build_encoder` embeds large calls there; the
    answers are the same bits as without it. Without it, Ray is never imported.
    """

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.block_executor: BlockExecutor | None = None
        """Where the ``pricing`` solver's passes run (None: in this process)."""
        self._encoder = encoder
        self._load_error: str | None = None
        self.model_load_seconds: float | None = None
        self.stage_observer: Callable[[Mapping[str, float]], None] | None = None
        """Called with each match's and rematch's ``timings_ms`` (the metrics set it)."""
        self._cache: EmbeddingCache | None = None
        self._loaded = threading.Event()
        if encoder is not None:
            self._ready(encoder)

    def _ready(self, encoder: Encoder) -> None:
        _warm_up_solvers()
        if self.settings.ray_address is not None:
            from matchsvc.cluster import connect

            self.block_executor = connect(self.settings.ray_address).executor()
        path = self.settings.data_dir / CACHE_FILE if self.settings.embedding_cache else None
        self._encoder = encoder
        tokens = encoder if isinstance(encoder, TokenCounter) else None  # long texts in pieces
        self._cache = EmbeddingCache(
            BudgetedEncoder(encoder),
            path,
            ttl_seconds=self.settings.embedding_cache_ttl_seconds,
            max_entries=self.settings.embedding_cache_max_entries,
            tokens=tokens,
        )
        self._loaded.set()

    def check_model(self) -> None:
        """Fail fast, without loading: the model directory, the packages the encoder backend
        needs and the device (:func:`~matchsvc.scoring.encoder.check_encoder`)."""
        if self._encoder is not None:
            return
        s = self.settings
        check_encoder(
            s.model, backend=s.encoder_backend, cache_dir=s.data_dir / "onnx", device=s.device
        )
        if s.ray_address is not None and importlib.util.find_spec("ray") is None:
            raise ConfigError(
                f"MATCHSVC_RAY_ADDRESS is {s.ray_address!r} but Ray is not installed: install "
                "the extra with `pip install 'matchsvc[ray]'`, or unset MATCHSVC_RAY_ADDRESS",
                field="MATCHSVC_RAY_ADDRESS",
            )

    def load(self) -> None:
        """Load and warm the model (blocking). Records a failure instead of raising it."""
        if self._loaded.is_set():
            return
        start = time.perf_counter()
        try:
            self._ready(build_encoder(self.settings))
        except ConfigError as exc:
            self._load_error = exc.message
            log.error("model failed to load", extra={"error": exc.message})
            return
        self.model_load_seconds = time.perf_counter() - start
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

    @property
    def cache(self) -> EmbeddingCache:
        """The embedding cache in front of the encoder; raises ConfigError before ready."""
        if self._cache is None:
            raise ConfigError(self._load_error or "the embedding model is still loading")
        return self._cache

    def check_limits(self, mentees: Sequence[Profile], mentors: Sequence[Profile]) -> None:
        """Raise LimitExceededError (413) when a request is larger than the settings allow.

        Checked before any embedding, so an oversized request costs nothing.
        """
        s = self.settings
        for side, people, limit in (
            ("mentees", mentees, s.max_mentees),
            ("mentors", mentors, s.max_mentors),
        ):
            if len(people) > limit:
                raise LimitExceededError(
                    f"{len(people)} {side} exceed the limit of {limit} per request "
                    f"(MATCHSVC_MAX_{side.upper()}); split the request or raise the limit",
                    field=side,
                )
        for side, people in (("mentees", mentees), ("mentors", mentors)):
            for i, p in enumerate(people):
                if len(p.skills) > s.max_skills:
                    raise LimitExceededError(
                        f"{side}[{i}] lists {len(p.skills)} skills; the limit is {s.max_skills} "
                        "(MATCHSVC_MAX_SKILLS)",
                        field=f"{side}[{i}].skills",
                    )
                if len(p.wishes.topics) > s.max_skills:
                    raise LimitExceededError(
                        f"{side}[{i}] lists {len(p.wishes.topics)} wish topics; the limit is "
                        f"{s.max_skills} (MATCHSVC_MAX_SKILLS)",
                        field=f"{side}[{i}].wishes.topics",
                    )
                texts = {
                    "goals": p.goals,
                    "communication.style": p.communication.style,
                    "career_stage": p.career_stage,
                    "industry": p.industry,
                    **{f"skills[{k}]": skill for k, skill in enumerate(p.skills)},
                    **{f"wishes.topics[{k}]": topic for k, topic in enumerate(p.wishes.topics)},
                }
                for name, text in texts.items():
                    if len(text) > s.max_text_length:
                        raise LimitExceededError(
                            f"{side}[{i}].{name} has {len(text)} characters; the limit is "
                            f"{s.max_text_length} (MATCHSVC_MAX_TEXT_LENGTH): shorten it",
                            field=f"{side}[{i}].{name}",
                        )

    def match(
        self, mentees: Sequence[Profile], mentors: Sequence[Profile], options: MatchOptions
    ) -> MatchReport:
        """Limits, then :func:`matchsvc.pipelines.match` with this engine's cached embeddings."""
        self.check_limits(mentees, mentors)
        report = match(
            mentees,
            mentors,
            options,
            CheckpointedEmbedder(self.cache),
            executor=self.block_executor,
        )
        self._observe(report.summary.timings_ms)
        return report

    def recommend(
        self,
        mentees: Sequence[Profile],
        mentors: Sequence[Profile],
        options: MatchOptions,
        *,
        top_n: int = 5,
        assigned: Mapping[str, int] | None = None,
        only_available: bool = True,
    ) -> dict[str, tuple[Recommendation, ...]]:
        """Limits, then :func:`matchsvc.pipelines.recommend`."""
        self.check_limits(mentees, mentors)
        return recommend(
            mentees,
            mentors,
            options,
            CheckpointedEmbedder(self.cache),
            top_n=top_n,
            assigned=assigned,
            only_available=only_available,
        )

    def rematch(
        self,
        mentees: Sequence[Profile],
        mentors: Sequence[Profile],
        current: Sequence[CurrentPair],
        history: Sequence[PastPair],
        policy: RematchPolicy,
        options: MatchOptions,
    ) -> RematchReport:
        """Limits, then :func:`matchsvc.pipelines.rematch`."""
        self.check_limits(mentees, mentors)
        report = rematch(
            mentees,
            mentors,
            current,
            history,
            policy,
            options,
            CheckpointedEmbedder(self.cache),
            executor=self.block_executor,
        )
        self._observe(report.summary.timings_ms)
        return report

    def learn(
        self,
        mentees: Sequence[Profile],
        mentors: Sequence[Profile],
        history: Sequence[Feedback],
        declined: Sequence[tuple[str, str]],
        options: MatchOptions,
        settings: LearnSettings | None = None,
    ) -> LearnResult:
        """Limits, then :func:`matchsvc.pipelines.learn`."""
        self.check_limits(mentees, mentors)
        embedder = CheckpointedEmbedder(self.cache)
        return learn(mentees, mentors, history, declined, options, embedder, settings)

    def audit(
        self,
        mentees: Sequence[Profile],
        mentors: Sequence[Profile],
        pairs: Sequence[tuple[str, str]],
        options: MatchOptions,
        *,
        attributes: Sequence[str] = (),
        history: Sequence[HistoryPair] | None = None,
        settings: AuditSettings | None = None,
    ) -> AuditReport:
        """Limits, then :func:`matchsvc.pipelines.audit`."""
        self.check_limits(mentees, mentors)
        embedder = CheckpointedEmbedder(self.cache)
        return audit(
            mentees, mentors, pairs, options, embedder,
            attributes=attributes, history=history, settings=settings,
        )  # fmt: skip

    @overload
    def peer(  # type: ignore[overload-overlap]  # CircleOptions is a PeerOptions: first wins
        self, people: Sequence[Profile], options: CircleOptions, leaders: Sequence[Profile] = ()
    ) -> CirclesReport: ...
    @overload
    def peer(
        self, people: Sequence[Profile], options: PeerOptions, leaders: Sequence[Profile] = ()
    ) -> PeerMatchReport: ...
    def peer(
        self, people: Sequence[Profile], options: PeerOptions, leaders: Sequence[Profile] = ()
    ) -> PeerMatchReport | CirclesReport:
        """Pool limits, then :func:`~matchsvc.pipelines.peer_circles` for
        :class:`~matchsvc.pipelines.CircleOptions`, else :func:`~matchsvc.pipelines.peer_match`
        (which takes no leaders). The pool counts against ``MATCHSVC_MAX_MENTEES``, leaders
        against ``MATCHSVC_MAX_MENTORS``."""
        s = self.settings
        check_pool_limits(
            people, leaders, max_people=s.max_mentees, max_leaders=s.max_mentors,
            max_skills=s.max_skills, max_text_length=s.max_text_length,
        )  # fmt: skip
        embedder = CheckpointedEmbedder(self.cache)
        report: PeerMatchReport | CirclesReport
        if isinstance(options, CircleOptions):
            report = peer_circles(people, options, embedder, leaders=leaders)
        else:
            if leaders:
                check_pool(people, leaders, options)  # raises: leaders lead circles only
            report = peer_match(people, options, embedder)
        self._observe(report.summary.timings_ms)
        return report

    def score(
        self, mentees: Sequence[Profile], mentors: Sequence[Profile], options: ScoringOptions
    ) -> Compatibility:
        """Limits, then the compatibility matrix with every facet.

        Raises:
            LimitExceededError: also when mentees x mentors exceeds ``max_score_pairs`` (the
                answer holds every facet matrix).
        """
        self.check_limits(mentees, mentors)
        pairs, limit = len(mentees) * len(mentors), self.settings.max_score_pairs
        if pairs > limit:
            raise LimitExceededError(
                f"{len(mentees)} x {len(mentors)} = {pairs:,} pairs exceed the {limit:,} of one "
                "score matrix (MATCHSVC_MAX_SCORE_PAIRS): request it in blocks of mentees, or "
                "use POST /match for the assignment itself",
                field="mentees",
            )
        return score(mentees, mentors, options, CheckpointedEmbedder(self.cache))

    def _observe(self, timings_ms: Mapping[str, float]) -> None:
        if self.stage_observer is not None:
            self.stage_observer(timings_ms)

"""What a submission must pass before it is stored: a free submission slot, and the checks the
synchronous endpoint would run before its model does.

Submissions are not CPU-gated like the synchronous endpoints, yet parsing, validating and storing
a large payload costs memory (several times the body size). :class:`SubmissionGate` bounds how
many do it at once; one more is refused at once (429) instead of waiting with its body in memory.

:func:`check_people` runs at submit what ``POST /match``, ``POST /rematch`` and ``POST /learn``
check before embedding: the engine's limits (413) and the people and options (422, fairness
rules included), so a job that would fail on them is refused at once instead of failing later
with its payload kept on disk. :func:`check_audit` adds what ``POST /audit`` checks before
embedding: the match to audit, its ids, the attributes and the settings.
:func:`check_pool_request` is the same for a pool of peers (``POST /peer/match``,
``POST /peer/circles``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from matchsvc import schemas
from matchsvc.engine import Engine
from matchsvc.errors import BusyError
from matchsvc.pipelines.audit import check_audit_input
from matchsvc.pipelines.fairness import check_fairness
from matchsvc.pipelines.peer import check_pool, check_pool_limits
from matchsvc.problem import check_min_score
from matchsvc.scoring import validate_people

__all__ = [
    "SUBMISSION_RETRY_AFTER",
    "SubmissionGate",
    "check_audit",
    "check_people",
    "check_pool_request",
]

SUBMISSION_RETRY_AFTER = 1
"""Seconds a submission refused for want of a slot is told to wait (``Retry-After``)."""


class SubmissionGate:
    """At most ``slots`` submissions in progress at once; one more is refused, never queued.

    Args:
        slots: submissions at once (``MATCHSVC_JOB_MAX_CONCURRENT_SUBMISSIONS``), >= 1.

    Thread-safe; usable from the event loop (it never blocks).

    Raises:
        ValueError: ``slots`` below 1.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots is {slots}; use at least 1")
        self.slots = slots
        self._lock = threading.Lock()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        """Slots taken now."""
        return self._in_use

    def enter(self) -> None:
        """Take a slot.

        Raises:
            BusyError: every slot is taken (429, ``Retry-After`` 1 s).
        """
        with self._lock:
            if self._in_use >= self.slots:
                raise BusyError(
                    f"{self._in_use} job submissions are being received and validated, the "
                    f"limit (MATCHSVC_JOB_MAX_CONCURRENT_SUBMISSIONS={self.slots}); retry after "
                    f"{SUBMISSION_RETRY_AFTER} s",
                    retry_after=SUBMISSION_RETRY_AFTER,
                )
            self._in_use += 1

    def leave(self) -> None:
        """Give a slot back (once per successful :meth:`enter`)."""
        with self._lock:
            if self._in_use <= 0:
                raise RuntimeError("SubmissionGate.leave() without a matching enter()")
            self._in_use -= 1

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block (:meth:`enter`, then :meth:`leave` however it ends)."""
        self.enter()
        try:
            yield
        finally:
            self.leave()


def check_people(
    engine: Engine,
    body: schemas.MatchRequest
    | schemas.RematchRequest
    | schemas.LearnRequest
    | schemas.AuditRequest,
) -> None:
    """The checks a job's payload passes at submit, before any embedding.

    Raises:
        LimitExceededError: more people, skills or text than the settings allow (413).
        InvalidInputError: duplicate ids, an unknown ``exclude`` id, a bad time zone or
            availability window, bad options or ``min_score`` (422); ``field`` from the top of
            the payload (``mentees[2].id``). A re-match's pairs and policy, and a learning
            history's ids, are checked when the job runs: those checks need the scored problem.
    """
    core_mentees = [p.to_core() for p in body.mentees]
    core_mentors = [p.to_core() for p in body.mentors]
    engine.check_limits(core_mentees, core_mentors)
    core = body.options.to_core()
    check_min_score(core.min_score)
    validate_people(core_mentees, core_mentors, core.scoring)
    if isinstance(body, schemas.MatchRequest):
        check_fairness(core_mentees, core)


def check_audit(engine: Engine, body: schemas.AuditRequest) -> None:
    """:func:`check_people`, then the audit's own checks that need no model.

    Raises:
        InvalidInputError: no match or both ``match`` and ``pairs``; a pair naming someone
            not given; an attribute nobody has (or a list-valued one); bad settings.
    """
    check_people(engine, body)
    pairs = body.audited_pairs()
    with body.locating_pairs():
        check_audit_input(
            [p.to_core() for p in body.mentees],
            [p.to_core() for p in body.mentors],
            pairs,
            body.attributes,
            body.settings(),
        )


def check_pool_request(
    engine: Engine, body: schemas.PeerMatchRequest | schemas.PeerCirclesRequest
) -> None:
    """The checks of a peer job's payload at submit, before any embedding: the pool limits
    (413), then the people, leaders, excludes and options (422), as the endpoint runs them.

    Raises:
        LimitExceededError: a pool or leaders list over the limits, or a person over the
            skills or text limits.
        InvalidInputError: duplicate ids, a self-exclusion or unknown ``exclude`` id, a size
            range out of bounds, ...; ``field`` from the top of the payload.
    """
    people = [p.to_core() for p in body.people]
    leaders = (
        [p.to_core() for p in body.leaders] if isinstance(body, schemas.PeerCirclesRequest) else []
    )
    s = engine.settings
    check_pool_limits(
        people, leaders, max_people=s.max_mentees, max_leaders=s.max_mentors,
        max_skills=s.max_skills, max_text_length=s.max_text_length,
    )  # fmt: skip
    check_pool(people, leaders, body.options.to_core())

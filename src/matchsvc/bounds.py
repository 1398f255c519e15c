"""Every number a caller can send, and its range: one table for the schemas and the core.

The HTTP schemas (and so the OpenAPI document, the jobs and the CLI's files) and the core's own
validation (for Python callers) read these constants, so a value is refused the same way
whichever door it comes through. Ranges are chosen by what can be meaningful, with room to
spare, and so that no total can overflow a float64 or an int64:

=========================  ===============================  ====================================
value                      range                            why
=========================  ===============================  ====================================
``capacity``, ``demand``   0 .. ``MAX_COUNT``               people per mentor / mentors per
``max_moves``,                                              mentee; no programme this service
``assigned``                                                holds has more
``top_n``                  1 .. ``MAX_TOP_N``               suggestions a person can read
score (``/assign``)        finite, abs <= ``MAX_ABS_SCORE`` totals of 10^7 pairs stay exact to
``min_score`` (assign)                                      well below a score unit
``min_score`` (match...)   0 .. 1                           profile scores lie in [0, 1]
weights                    0 .. ``MAX_WEIGHT``, not all 0   normalised to sum 1
numeric attributes,        finite, abs <=                   years, levels, salaries...
``gap`` min / max          ``MAX_ABS_ATTRIBUTE``
hours                      0 .. 168                         a week
ratings                    1 .. 5                           the rating scale
``stability_bonus``,       0 .. ``MAX_BONUS``               in score units; beyond 1 no gain
``wait_bonus``                                              can beat it
criteria                   at most ``MAX_CRITERIA``         each adds a facet matrix
list attribute items       at most ``MAX_LIST_ITEMS``       tags, languages spoken...
fairness shares            0 .. 1                           ``min_matched_share``,
                                                            ``max_share_gap``: shares of demand
fairness rules             at most ``MAX_FAIRNESS_RULES``   one per attribute; floors on two or
                                                            more attributes need an integer
                                                            program
audit attributes           at most 16                       a table and a chart each in the
                                                            report
histogram bins             1 .. ``MAX_HISTOGRAM_BINS``      bars a chart can show
circle sizes               ``MIN_CIRCLE_SIZE`` ..           a circle of peers: 2 is a pair; past
(``min_size``,             ``MAX_CIRCLE_SIZE``              8 people not everyone gets a say,
``max_size``)                                               and the exact re-splits of two
                                                            circles grow as 2^(2 x size)
seeds                      0 .. ``MAX_SEED``                a 31-bit seed, the same in every
                                                            language
=========================  ===============================  ====================================

Texts must be valid Unicode (no lone surrogates: they cannot be stored or sent as UTF-8);
:func:`check_text` says where a text breaks that rule.
"""

from __future__ import annotations

__all__ = [
    "HOURS_PER_WEEK",
    "MAX_ABS_ATTRIBUTE",
    "MAX_ABS_SCORE",
    "MAX_AUDIT_ATTRIBUTES",
    "MAX_BONUS",
    "MAX_CIRCLE_SIZE",
    "MAX_COUNT",
    "MAX_CRITERIA",
    "MAX_FAIRNESS_RULES",
    "MAX_HISTOGRAM_BINS",
    "MAX_ID_LENGTH",
    "MAX_LIST_ITEMS",
    "MAX_NAME_LENGTH",
    "MAX_SEED",
    "MAX_TIMEZONE_LENGTH",
    "MAX_TOP_N",
    "MAX_WEIGHT",
    "MIN_CIRCLE_SIZE",
    "RATING_MAX",
    "RATING_MIN",
    "check_text",
]

MAX_COUNT = 1_000_000
"""Largest ``capacity``, ``demand``, ``max_moves`` or ``assigned`` value."""

MAX_TOP_N = 100
"""Most suggestions per mentee in ``/recommend``."""

MAX_ABS_SCORE = 1e9
"""Largest magnitude of a caller's own score (``/assign``, :func:`matchsvc.assign`)."""

MAX_WEIGHT = 1e6
"""Largest facet or criterion weight before normalisation."""

MAX_ABS_ATTRIBUTE = 1e12
"""Largest magnitude of a numeric attribute and of a ``gap`` criterion's bounds."""

HOURS_PER_WEEK = 168
"""Upper bound of every number of hours per week."""

RATING_MIN, RATING_MAX = 1, 5
"""The rating scale of pairs (either side)."""

MAX_BONUS = 10.0
"""Largest ``stability_bonus`` and ``wait_bonus`` (score units)."""

MAX_CRITERIA = 32
"""Most criteria in one request's options."""

MAX_FAIRNESS_RULES = 8
"""Most fairness rules (``options.fairness``) in one match."""

MAX_AUDIT_ATTRIBUTES = 16
"""Most attributes one audit groups people by."""

MAX_HISTOGRAM_BINS = 100
"""Most bins of the audit's score histogram."""

MIN_CIRCLE_SIZE, MAX_CIRCLE_SIZE = 2, 8
"""The size range a peer circle's ``min_size`` and ``max_size`` may take."""

MAX_SEED = 2**31 - 1
"""Largest seed of a randomised step (circles' perturbations, learning's folds)."""

MAX_LIST_ITEMS = 200
"""Most items in one list-valued attribute."""

MAX_ID_LENGTH = 200
"""Longest person id (characters)."""

MAX_NAME_LENGTH = 100
"""Longest criterion, attribute or weight name (characters)."""

MAX_TIMEZONE_LENGTH = 64
"""Longest time zone name (the longest IANA name has 32 characters)."""


def check_text(text: str) -> str | None:
    """None when ``text`` is valid Unicode, else why not (a lone surrogate and where it is)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        return (
            f"contains a lone surrogate (U+{code:04X}) at character {exc.start}, which is not "
            "valid Unicode: send UTF-8 text (a JSON escape like \\ud83d must be followed by its "
            "low surrogate)"
        )
    return None

"""Writing a pool's pairs or circles: JSON (the exact HTTP body), JSONL or CSV.

CSV cells go through :func:`~matchsvc.fileio._write.safe_cell` like every CSV this project
writes; the sentences in them come from the core (:mod:`matchsvc.pipelines.peer`).
"""

from __future__ import annotations

from collections.abc import Iterable

from matchsvc import schemas
from matchsvc.fileio._formats import Format
from matchsvc.fileio._write import _body, _csv_text, _jsonl, _number

__all__ = ["render_peer_circles", "render_peer_match"]


def _skills(pairs: Iterable[schemas.SkillMatch]) -> str:
    """``wanted ~ offered (0.83)`` items joined by ``; ``."""
    return "; ".join(f"{p.wanted} ~ {p.offered} ({p.similarity:.2f})" for p in pairs)


def render_peer_match(response: schemas.PeerMatchResponse, fmt: Format) -> str:
    """The text of a peer match result file.

    * ``json``: the ``POST /peer/match`` response body (indented).
    * ``jsonl``: one object per line with a ``type``: ``pair`` lines (a ``PeerPair``), then
      ``unmatched`` (a ``PeerUnmatched``) and one ``summary``.
    * ``csv``: a row per pair, then a row per unmatched person (empty ``partner_id`` and
      ``score``). Columns: ``person_id, partner_id, score`` (mutual), ``fit`` (how well the
      partner suits the person) and ``partner_fit`` (the reverse), ``rank`` (the partner among
      the person's feasible partners) and ``partner_rank``, ``skill_pairs`` (the person's
      wanted skills ~ the partner's, ``wanted ~ offered (0.83); ...``) and
      ``partner_skill_pairs``, ``shared_languages``, ``overlap_hours``, ``unmatched_reason``,
      ``summary``. Explanation cells are empty with ``explain: false``.
    """
    if fmt == "json":
        return _body(response)
    if fmt == "jsonl":
        return _jsonl(
            ("pair", response.pairs),
            ("unmatched", response.unmatched),
            ("summary", [response.summary]),
        )
    header = [
        "person_id",
        "partner_id",
        "score",
        "fit",
        "partner_fit",
        "rank",
        "partner_rank",
        "skill_pairs",
        "partner_skill_pairs",
        "shared_languages",
        "overlap_hours",
        "unmatched_reason",
        "summary",
    ]
    rows: list[list[str]] = []
    for p in response.pairs:
        e = p.explanation
        cells = ["", "", "", "", "", "", "", "", ""]
        if e is not None:
            cells = [
                _number(e.person.fit),
                _number(e.partner.fit),
                str(e.person.rank),
                str(e.partner.rank),
                _skills(e.person.skill_pairs),
                _skills(e.partner.skill_pairs),
                ";".join(e.shared_languages),
                _number(e.overlap_hours),
                "",
            ]
        rows.append([p.person_id, p.partner_id, _number(p.score), *cells, e.summary if e else ""])
    for u in response.unmatched:
        rows.append([u.person_id, *("" for _ in header[1:-2]), u.reason, u.summary])
    return _csv_text(header, rows)


def _brings(member: schemas.CircleMember) -> str:
    """``wanted (by ana) ~ offered (0.83)`` items joined by ``; ``."""
    return "; ".join(
        f"{c.wanted} (by {c.person_id}) ~ {c.offered} ({c.similarity:.2f})" for c in member.brings
    )


def render_peer_circles(response: schemas.PeerCirclesResponse, fmt: Format) -> str:
    """The text of a circles result file.

    * ``json``: the ``POST /peer/circles`` response body (indented).
    * ``jsonl``: one object per line with a ``type``: ``circle`` lines (a ``Circle``), then
      ``unmatched`` (a ``CircleUnmatched``) and one ``summary``.
    * ``csv``: a row per circle member, then a row per unmatched person (empty ``circle``).
      Columns: ``circle`` (1, 2, ... in the answer's order), ``leader_id``, ``circle_score``,
      ``person_id``, ``strongest_id``, ``strongest_score``, ``weakest_id``,
      ``weakest_score``, ``leader_fit``, ``brings`` (what the member's skills cover for the
      others: ``wanted (by ana) ~ offered (0.83); ...``), ``unmatched_reason``, ``summary``
      (the circle's sentence, or why the person is in no circle). Explanation cells are empty
      with ``explain: false``.
    """
    if fmt == "json":
        return _body(response)
    if fmt == "jsonl":
        return _jsonl(
            ("circle", response.circles),
            ("unmatched", response.unmatched),
            ("summary", [response.summary]),
        )
    header = [
        "circle",
        "leader_id",
        "circle_score",
        "person_id",
        "strongest_id",
        "strongest_score",
        "weakest_id",
        "weakest_score",
        "leader_fit",
        "brings",
        "unmatched_reason",
        "summary",
    ]
    rows: list[list[str]] = []
    for k, circle in enumerate(response.circles, start=1):
        e = circle.explanation
        members = {m.person_id: m for m in e.members} if e is not None else {}
        for person in circle.members:
            m = members.get(person)
            cells = ["", "", "", "", "", ""]
            if m is not None:
                cells = [
                    m.strongest.partner_id if m.strongest else "",
                    _number(m.strongest.score if m.strongest else None),
                    m.weakest.partner_id if m.weakest else "",
                    _number(m.weakest.score if m.weakest else None),
                    _number(m.leader_fit),
                    _brings(m),
                ]
            rows.append(
                [
                    str(k),
                    circle.leader_id or "",
                    _number(circle.score),
                    person,
                    *cells,
                    "",
                    e.summary if e is not None else "",
                ]
            )
    for u in response.unmatched:
        rows.append(["", "", "", u.person_id, *("" for _ in header[4:-2]), u.reason, u.summary])
    return _csv_text(header, rows)

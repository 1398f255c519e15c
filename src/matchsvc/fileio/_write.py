"""Writing: a response model -> JSON (the exact HTTP body), JSONL or CSV text, written atomically.

CSV cells hold values only; the sentences in them come from :mod:`matchsvc.explain`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from matchsvc import schemas
from matchsvc.explain import unmatched_summary
from matchsvc.fileio._formats import Format, InputFileError, file_format

__all__ = [
    "check_output",
    "render_audit",
    "render_learn",
    "render_match",
    "render_recommend",
    "render_rematch",
    "safe_cell",
    "write_atomic",
]


def _json(value: Any, *, indent: int | None) -> str:
    separators = None if indent is not None else (",", ":")
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
    )


def _body(response: BaseModel) -> str:
    """A response body as an indented JSON file."""
    return _json(response.model_dump(mode="json"), indent=2) + "\n"


def _jsonl(*sections: tuple[str, Iterable[BaseModel]]) -> str:
    """One JSON object per line: each model of each ``(type, models)`` section, in order,
    with ``"type": type`` first."""
    return "".join(
        _json({"type": kind} | model.model_dump(mode="json"), indent=None) + "\n"
        for kind, models in sections
        for model in models
    )


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _facet_names(explanations: Iterable[schemas.Explanation | None]) -> list[str]:
    names: dict[str, None] = {}
    for explanation in explanations:
        if explanation is not None:
            names.update(dict.fromkeys(explanation.facets))
    return list(names)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(cell: str) -> str:
    """``cell`` as a spreadsheet will not run it: text starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'`` (OWASP's advice against CSV injection); plain numbers
    are left as they are. Every CSV cell this project writes goes through here."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _focus(areas: Iterable[schemas.FocusArea]) -> str:
    """``wanted ~ mentor skill (0.83)`` items joined by ``; ``."""
    return "; ".join(f"{a.skill} ~ {a.mentor_skill} ({a.similarity:.2f})" for a in areas)


def _gaps(gaps: schemas.MenteeGaps | None) -> str:
    """The wanted skills no assigned mentor covers, joined by ``; ``."""
    return "" if gaps is None else "; ".join(g.skill for g in gaps.gaps)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def render_match(response: schemas.MatchResponse, fmt: Format) -> str:
    """The text of a match result file.

    * ``json``: the ``POST /match`` response body (indented).
    * ``jsonl``: one object per line with a ``type``: ``match`` lines (a ``Match``), then
      ``unmatched`` (an ``Unmatched``), ``mentor`` (a ``MentorLoad``), ``mentee`` (a
      ``MenteeGaps``), and one ``summary``.
    * ``csv``: a row per match, then a row per unmatched mentee (empty ``mentor_id`` and
      ``score``). Columns: ``mentee_id, mentor_id, score, coverage, contribution.<facet>...,
      focus_areas, gaps, unmatched_reason, summary``; contributions add up to the score (a
      missing facet contributes 0); ``focus_areas`` lists ``wanted ~ mentor skill
      (similarity)``; ``gaps`` the mentee's wanted skills none of their mentors covers (on each
      of the mentee's rows); ``summary`` is the explanation's sentence (focus areas, gaps and
      summary are empty with ``explain: false``).
    """
    if fmt == "json":
        return _body(response)
    if fmt == "jsonl":
        return _jsonl(
            ("match", response.matches),
            ("unmatched", response.unmatched),
            ("mentor", response.mentors),
            ("mentee", response.mentees),
            ("summary", [response.summary]),
        )
    facets = _facet_names(m.explanation for m in response.matches)
    gaps = {g.mentee_id: g for g in response.mentees}
    header = [
        "mentee_id",
        "mentor_id",
        "score",
        "coverage",
        *(f"contribution.{f}" for f in facets),
        "focus_areas",
        "gaps",
        "unmatched_reason",
        "summary",
    ]
    rows: list[list[str]] = []
    for m in response.matches:
        shares = m.explanation.facets if m.explanation is not None else {}
        rows.append(
            [
                m.mentee_id,
                m.mentor_id,
                _number(m.score),
                _number(m.coverage),
                *(_number(shares[f].contribution) if f in shares else "" for f in facets),
                _focus(m.focus_areas),
                _gaps(gaps.get(m.mentee_id)),
                "",
                m.explanation.summary if m.explanation is not None else "",
            ]
        )
    for u in response.unmatched:
        rows.append(
            [
                u.mentee_id,
                "",
                "",
                "",
                *("" for _ in facets),
                "",
                _gaps(gaps.get(u.mentee_id)),
                u.reason,
                unmatched_summary(u.to_core()),
            ]
        )
    return _csv_text(header, rows)


def render_recommend(response: schemas.RecommendResponse, fmt: Format) -> str:
    """The text of a recommendation result file.

    * ``json``: the ``POST /recommend`` response body (indented).
    * ``jsonl``: one ``Recommendation`` per line plus its ``mentee_id``, best first per mentee.
    * ``csv``: the same rows flattened: ``mentee_id, rank, mentor_id, score, coverage,
      remaining_capacity, contribution.<facet>..., focus_areas, summary``. A mentee without any
      feasible mentor gets one row with only ``mentee_id``.
    """
    if fmt == "json":
        return _body(response)
    if fmt == "jsonl":
        return "".join(
            _json({"mentee_id": r.mentee_id} | rec.model_dump(mode="json"), indent=None) + "\n"
            for r in response.results
            for rec in r.recommendations
        )
    facets = _facet_names(rec.explanation for r in response.results for rec in r.recommendations)
    header = [
        "mentee_id",
        "rank",
        "mentor_id",
        "score",
        "coverage",
        "remaining_capacity",
        *(f"contribution.{f}" for f in facets),
        "focus_areas",
        "summary",
    ]
    rows: list[list[str]] = []
    for r in response.results:
        if not r.recommendations:
            rows.append([r.mentee_id, *("" for _ in header[1:])])
        for rec in r.recommendations:
            shares = rec.explanation.facets
            rows.append(
                [
                    r.mentee_id,
                    str(rec.rank),
                    rec.mentor_id,
                    _number(rec.score),
                    _number(rec.coverage),
                    str(rec.remaining_capacity),
                    *(_number(shares[f].contribution) if f in shares else "" for f in facets),
                    _focus(rec.focus_areas),
                    rec.explanation.summary,
                ]
            )
    return _csv_text(header, rows)


def render_rematch(response: schemas.RematchResponse, fmt: Format) -> str:
    """The text of a re-match result file.

    * ``json``: the ``POST /rematch`` response body (indented).
    * ``jsonl``: one object per line with a ``type``: ``action`` lines (a ``RematchAction``),
      then ``mentor`` (a ``MentorLoad``), and one ``summary``.
    * ``csv``: a row per action: ``mentee_id, action, from_mentor_id, to_mentor_id, reason,
      score_before, score_after, contribution.<facet>..., summary`` (contributions and summary
      explain the pair after the re-match; empty where there is none).
    """
    if fmt == "json":
        return _body(response)
    if fmt == "jsonl":
        return _jsonl(
            ("action", response.actions),
            ("mentor", response.mentors),
            ("summary", [response.summary]),
        )
    facets = _facet_names(a.explanation for a in response.actions)
    header = [
        "mentee_id",
        "action",
        "from_mentor_id",
        "to_mentor_id",
        "reason",
        "score_before",
        "score_after",
        *(f"contribution.{f}" for f in facets),
        "summary",
    ]
    rows: list[list[str]] = []
    for a in response.actions:
        shares = a.explanation.facets if a.explanation is not None else {}
        rows.append(
            [
                a.mentee_id,
                a.action,
                a.from_mentor_id or "",
                a.to_mentor_id or "",
                a.reason,
                _number(a.score_before),
                _number(a.score_after),
                *(_number(shares[f].contribution) if f in shares else "" for f in facets),
                a.explanation.summary if a.explanation is not None else "",
            ]
        )
    return _csv_text(header, rows)


def render_learn(response: schemas.LearnResponse) -> str:
    """The text of a learning result file: the ``POST /learn`` response body (indented JSON)."""
    return _body(response)


def render_audit(response: schemas.AuditResponse) -> str:
    """The text of an audit result file: the ``POST /audit`` response body (indented JSON)."""
    return _body(response)


def check_output(path: Path, *, allowed: Iterable[Format] = ("csv", "json", "jsonl")) -> Format:
    """The output format, after checking the file can be created (before any work is done).

    Raises:
        InputFileError: unknown extension, missing directory, or ``path`` is a directory.
    """
    fmt = file_format(path, allowed=allowed)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputFileError([f"{path}: directory {parent} does not exist"])
    if path.is_dir():
        raise InputFileError([f"{path}: is a directory; name a file"])
    return fmt


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` all at once: a temporary file, then a rename.

    Readers see the old file or the new one, never a part; on any error the temporary file is
    removed and ``path`` is untouched. A symbolic link is followed on purpose: the file it
    points to is replaced and the link stays a link. An existing file keeps its permission
    bits (a 0600 result stays private); a new one gets ``0666`` less the umask.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    parent = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, temp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

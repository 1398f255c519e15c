"""The report page: one HTML document built from an audit and, when there is one, the match.

Self-contained by construction: the styles are inline, the charts are inline SVG (:mod:`._svg`),
there is no script, and a Content-Security-Policy forbids loading anything (no network, no
script even if one were injected). Every text from the input (ids, attribute names and values,
skills, facet names, the title) goes through :func:`html.escape`. No clock is read: the same
input gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

from matchsvc import schemas
from matchsvc.explain import unmatched_summary
from matchsvc.report._svg import (
    COLOURS,
    FACET_COLOURS,
    ShareRow,
    columns,
    histogram,
    lines,
    share_chart,
    stacked_bar,
)

__all__ = ["CHART_ROWS", "EXAMPLES", "TABLE_ROWS", "render_report"]

TABLE_ROWS = 200
"""Most groups listed per attribute (the JSON audit has them all)."""

CHART_ROWS = 40
"""Most groups drawn per attribute's chart."""

EXAMPLES = 6
"""Most example explanations, and (x2) most example unmatched sentences."""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0;
  background: #fafafa; line-height: 1.45; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #eee; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.lede { font-size: 17px; color: #333; margin: 4px 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 12px; }
.card { border: 1px solid #e4e4e4; border-radius: 8px; padding: 10px 14px; }
.card .k { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #666; }
.card .v { font-size: 24px; font-weight: 600; overflow-wrap: anywhere; }
.card .s { font-size: 12px; color: #555; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 4px; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid #eee;
  vertical-align: top; }
th { background: #f4f6f8; font-weight: 600; }
th.text, td.text { text-align: left; }
tr.flagged td { background: #fdf1f0; }
tr.lifted td { background: #eef6ee; }
p.caption { margin: 14px 0 0; font-size: 13px; font-weight: 600; color: #333; }
.badge { display: inline-block; border-radius: 10px; padding: 0 7px; font-size: 11px;
  font-weight: 600; white-space: nowrap; margin: 1px 0; }
.badge.share { background: #c0392b; color: #fff; }
.badge.score { background: #e67e22; color: #fff; }
.badge.robust { background: #555; color: #fff; }
.caution { color: #8a5a00; font-size: 12px; }
.none { color: #888; font-style: italic; }
.nowrap { white-space: nowrap; font-size: 12px; }
.sub { display: block; color: #666; font-size: 11px; }
.note { color: #555; font-size: 13px; }
.flags li { margin: 4px 0; }
.example { border-left: 4px solid #d0d7de; padding: 4px 12px; margin: 12px 0; }
.example .pair { font-weight: 600; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0; }
footer { margin-top: 40px; font-size: 12px; color: #555; }
"""

_REASONS = {
    "no_feasible_mentor": "no mentor passes the hard constraints",
    "below_min_score": "every feasible mentor scores below min_score",
    "capacity_exhausted": "every feasible mentor is full",
    "open_slot_left": "a feasible mentor had room, but the pairs left it unused",
}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _value(value: object) -> str:
    """A group's value as HTML: text escaped, true/false, numbers as given, null in italics."""
    if value is None:
        return '<span class="none">(no value)</span>'
    if isinstance(value, bool):
        return "true" if value else "false"
    return _e(value)


def _label(value: object) -> str:
    """A group's value as plain text (escaped by the chart)."""
    if value is None:
        return "(no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _int(x: int) -> str:
    return f"{x:,}"


def _plural(count: int, one: str, many: str = "") -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def _card(key: str, value: str, sub: str = "") -> str:
    return (
        f'<div class="card"><div class="k">{key}</div><div class="v">{value}</div>'
        f'<div class="s">{sub}</div></div>'
    )


def _table(head: Sequence[str], rows: Iterable[tuple[str, Sequence[str]]], *, text: int = 1) -> str:
    """``rows``: (css class of the row, cells as HTML); the first ``text`` columns are text
    (left-aligned), the others numbers."""
    out = ["<table><thead><tr>"]
    out.extend(
        f'<th class="text">{h}</th>' if k < text else f"<th>{h}</th>" for k, h in enumerate(head)
    )
    out.append("</tr></thead><tbody>")
    for css, cells in rows:
        out.append(f'<tr class="{css}">' if css else "<tr>")
        out.extend(
            f'<td class="text">{c}</td>' if k < text else f"<td>{c}</td>"
            for k, c in enumerate(cells)
        )
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _by_attribute(groups: Sequence[schemas.GroupAudit]) -> dict[str, list[schemas.GroupAudit]]:
    out: dict[str, list[schemas.GroupAudit]] = {}
    for g in groups:
        out.setdefault(g.attribute, []).append(g)
    return out


def _best(groups: Sequence[schemas.GroupAudit]) -> schemas.GroupAudit | None:
    """The group with the highest matched share (first in group order on ties)."""
    known = [g for g in groups if g.matched_share is not None]
    return max(known, key=lambda g: g.matched_share or 0.0) if known else None


def _summary(audit: schemas.AuditResponse, match: schemas.MatchResponse | None) -> str:
    flagged = [g for g in audit.groups if g.share_flag or g.score_flag]
    robust = [g for g in flagged if g.share_flag and g.share_robust and not g.caution]
    load = audit.mentor_load
    sc = audit.scores
    cards = [
        _card(
            "Matched",
            _pct(audit.matched_share),
            f"{_int(audit.matched)} of {_int(audit.demand)} mentee slots",
        ),
        _card("People", f"{_int(audit.mentees)} / {_int(audit.mentors)}", "mentees / mentors"),
        _card(
            "Mean score",
            _num(sc.mean),
            f"lowest {_num(sc.minimum)}, 10th percentile {_num(sc.p10)}",
        ),
        _card(
            "Mentor utilisation",
            _pct(load.utilisation),
            f"{_int(load.full)} full, {_int(load.idle)} idle of {_int(load.mentors)}",
        ),
        _card("Load Gini", _num(load.gini), "0: equal loads; higher: a few mentors carry more"),
        _card(
            "Flagged groups",
            _int(len(flagged)),
            f"{_int(len(robust))} robust and on enough people",
        ),
    ]
    if match is not None:
        s = match.summary
        cards.append(
            _card(
                "Solver",
                _e(s.solver),
                f"{'certified optimal' if s.optimal else 'not proven optimal'}; total "
                f"{s.total_score:.3f}",
            )
        )
        if s.fairness is not None:
            f = s.fairness
            share = (
                f.cost_of_fairness / f.total_score_without_floors
                if f.total_score_without_floors > 0
                else None
            )
            cards.append(
                _card(
                    "Cost of fairness",
                    f"{f.cost_of_fairness:.3f}",
                    f"{_pct(share, 2)} of the total without floors "
                    f"({f.total_score_without_floors:.3f})",
                )
            )
    lede = (
        f"{_int(audit.matched)} of {_int(audit.demand)} mentee slots matched "
        f"({_pct(audit.matched_share)}) for {_int(audit.mentees)} mentees and "
        f"{_int(audit.mentors)} mentors."
    )
    return f'<p class="lede">{lede}</p><div class="cards">{"".join(cards)}</div>'


def _flags(audit: schemas.AuditResponse) -> str:
    groups = _by_attribute(audit.groups)
    items: list[str] = []
    for attribute, gs in groups.items():
        best = _best(gs)
        best_mean = max((g.mean_score for g in gs if g.mean_score is not None), default=None)
        for g in gs:
            what: list[str] = []
            if g.share_flag and best is not None:
                what.append(
                    f"matched share {_pct(g.matched_share)} is {_num(g.share_ratio, 2)} of the "
                    f"best group's ({_value(best.value)}, {_pct(best.matched_share)})"
                )
            if g.score_flag and best_mean is not None:
                what.append(
                    f"mean score {_num(g.mean_score)} is {_num(g.score_ratio, 2)} of the best "
                    f"group's ({_num(best_mean)})"
                )
            if not what:
                continue
            size = (
                f"{_plural(g.people, 'person', 'people')}, {_plural(g.demand, 'slot')}, "
                f"{_plural(g.pairs, 'pair')}"
            )
            note = (
                f' <span class="caution">Caution: {_e(g.caution_reason)}.</span>'
                if g.caution
                else " Robust within the 95% intervals."
                if g.share_flag
                else ""
            )
            items.append(
                f"<li><b>{_e(attribute)} = {_value(g.value)}</b>: {'; '.join(what)} "
                f"({size}).{note}</li>"
            )
    if not audit.groups:
        return '<p class="note">No attributes were audited: give attributes to compare groups.</p>'
    if not items:
        return (
            f"<p>No group is below {audit.four_fifths:g} of the best group's matched share or "
            "mean score.</p>"
        )
    return f'<ul class="flags">{"".join(items)}</ul>'


def _badges(g: schemas.GroupAudit) -> str:
    out = []
    if g.share_flag:
        out.append('<span class="badge share">share &lt; 4/5</span>')
    if g.score_flag:
        out.append('<span class="badge score">score &lt; 4/5</span>')
    if (g.share_flag or g.score_flag) and g.share_robust and not g.caution:
        out.append('<span class="badge robust">robust</span>')
    if g.caution and (g.share_flag or g.score_flag):
        out.append(f'<div class="caution">caution: {_e(g.caution_reason)}</div>')
    elif g.caution:  # unflagged, but the intervals leave room for a flag
        out.append('<div class="caution">no flag, but one is within the 95% intervals</div>')
    return " ".join(out)


def _reasons(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    return "<br>".join(f'<span class="nowrap">{_e(k)}: {_int(v)}</span>' for k, v in counts.items())


def _groups(audit: schemas.AuditResponse) -> str:
    out: list[str] = []
    for attribute, gs in _by_attribute(audit.groups).items():
        best = _best(gs)
        threshold = (
            audit.four_fifths * best.matched_share
            if best is not None and best.matched_share
            else None
        )
        shown = gs[:CHART_ROWS]
        rows = [
            ShareRow(_label(g.value), g.matched_share, g.share_interval, g.share_flag)
            for g in shown
        ]
        out.append(f"<h3>Mentees by {_e(attribute)}</h3>")
        out.append(
            share_chart(rows, threshold, f"Matched share by {attribute}, with 95% intervals")
        )
        if len(gs) > CHART_ROWS:
            out.append(
                f'<p class="note">The chart shows the first {CHART_ROWS} of {len(gs)} groups.</p>'
            )
        head = [
            _e(attribute), "People", "Slots", "Matched", "Matched share (95% interval)",
            "Ratio to best", "Mean score", "Min", "Bottom decile", "Top choice",
            "Unmatched", "Flags",
        ]  # fmt: skip
        table_rows = []
        for g in gs[:TABLE_ROWS]:
            interval = (
                f' <span class="note">({_pct(g.share_interval[0], 0)}–'
                f"{_pct(g.share_interval[1], 0)})</span>"
                if g.share_interval is not None
                else ""
            )
            table_rows.append(
                (
                    "flagged" if g.share_flag or g.score_flag else "",
                    [
                        _value(g.value),
                        _int(g.people),
                        _int(g.demand),
                        _int(g.matched),
                        _pct(g.matched_share) + interval,
                        _num(g.share_ratio, 2)
                        + (
                            f'<span class="sub">score {_num(g.score_ratio, 2)}</span>'
                            if g.score_ratio is not None
                            else ""
                        ),
                        _num(g.mean_score),
                        _num(g.min_score),
                        _num(g.bottom_decile_score),
                        _pct(g.top_choice_share, 0),
                        _reasons(g.unmatched_reasons),
                        _badges(g),
                    ],
                )
            )
        out.append(_table(head, table_rows))
        if len(gs) > TABLE_ROWS:
            out.append(
                f'<p class="note">{len(gs) - TABLE_ROWS} more groups are in the JSON audit.</p>'
            )
    mentor_groups: dict[str, list[schemas.MentorGroupAudit]] = {}
    for mg in audit.mentor_groups:
        mentor_groups.setdefault(mg.attribute, []).append(mg)
    for attribute, mgs in mentor_groups.items():
        out.append(f"<h3>Mentors by {_e(attribute)}</h3>")
        out.append(
            _table(
                [_e(attribute), "Mentors", "Capacity", "Mentees", "Utilisation", "Mean score"],
                (
                    (
                        "",
                        [
                            _value(m.value),
                            _int(m.people),
                            _int(m.capacity),
                            _int(m.load),
                            _pct(m.utilisation),
                            _num(m.mean_score),
                        ],
                    )
                    for m in mgs[:TABLE_ROWS]
                ),
            )
        )
    if not out:
        return '<p class="note">No attributes were audited.</p>'
    return "".join(out)


def _fairness(match: schemas.MatchResponse | None) -> str:
    if match is None or match.summary.fairness is None:
        return ""
    f = match.summary.fairness
    rows = [
        (
            "lifted" if g.floor > g.matched_without_floors else "",
            [
                _e(g.attribute),
                _value(g.value),
                _int(g.demand),
                _int(g.floor),
                f"{_int(g.matched_without_floors)} ({_pct(g.matched_share_without_floors)})",
                f"{_int(g.matched)} ({_pct(g.matched_share)})",
            ],
        )
        for g in f.groups[:TABLE_ROWS]
    ]
    return (
        '<h2 id="fairness">Fairness floors</h2>'
        f"<p>The match kept a floor on every group's matched slots ({_e(f.method)}). The floors "
        f"cost <b>{f.cost_of_fairness:.4f}</b> of total score: {f.total_score_without_floors:.4f} "
        f"without them, {f.total_score:.4f} with them; the number of pairs is the same. "
        "Highlighted: the groups the floors lifted.</p>"
        + _table(
            [
                "Attribute",
                "Group",
                "Slots",
                "Floor",
                "Matched without floors",
                "Matched with floors",
            ],
            rows,
            text=2,
        )
    )


def _scores(audit: schemas.AuditResponse) -> str:
    sc = audit.scores
    if sc.count == 0:
        return '<p class="note">No pairs: no scores to show.</p>'
    markers = [
        (v, label)
        for v, label in ((sc.p10, "p10"), (sc.median, "median"), (sc.p90, "p90"))
        if v is not None
    ]
    chart = histogram(
        "scores",
        "Scores of the matched pairs",
        sc.bin_edges,
        sc.counts,
        COLOURS["scores"],
        "pair score",
        "pairs",
        markers,
    )
    text = (
        f"<p>{_int(sc.count)} pairs: mean {_num(sc.mean)}, lowest {_num(sc.minimum)}, 10th "
        f"percentile {_num(sc.p10)}, median {_num(sc.median)}, 90th percentile {_num(sc.p90)}, "
        f"highest {_num(sc.maximum)}.</p>"
    )
    return text + '<p class="caption">Scores of the matched pairs</p>' + chart


def _loads(audit: schemas.AuditResponse) -> str:
    load = audit.mentor_load
    counts = list(load.load_counts)
    labels = [str(k) for k in range(len(counts))]
    if len(counts) > 60:  # wide ranges: buckets of equal width
        width = math.ceil(len(counts) / 60)
        labels = [f"{k}-{min(k + width, len(counts)) - 1}" for k in range(0, len(counts), width)]
        counts = [sum(counts[k : k + width]) for k in range(0, len(counts), width)]
    by_load = columns(
        "load",
        "Mentors by number of mentees",
        labels,
        counts,
        COLOURS["load"],
        "mentees assigned",
        "mentors",
    )
    util = histogram(
        "utilisation",
        "Mentors by utilisation (mentees / capacity)",
        load.utilisation_edges,
        load.utilisation_counts,
        COLOURS["utilisation"],
        "utilisation",
        "mentors",
    )
    text = (
        f"<p>{_int(load.load)} mentees in {_int(load.capacity)} places "
        f"({_pct(load.utilisation)}); {_int(load.full)} mentors full, {_int(load.idle)} with no "
        f"mentee; Gini of the loads {_num(load.gini)}.</p>"
    )
    return (
        text
        + '<p class="caption">Mentors by number of mentees</p>'
        + by_load
        + '<p class="caption">Mentors by utilisation (mentees / capacity)</p>'
        + util
    )


def _unmatched(audit: schemas.AuditResponse, match: schemas.MatchResponse | None) -> str:
    counts = audit.unmatched_reasons
    if not counts:
        return "<p>Every mentee's demand is met.</p>"
    rows = [("", [_e(k), _e(_REASONS.get(k, "")), _int(v)]) for k, v in counts.items()]
    out = [_table(["Reason", "Meaning", "Mentees"], rows, text=2)]
    if match is not None and match.unmatched:
        sentences = [unmatched_summary(u.to_core()) for u in match.unmatched[: 2 * EXAMPLES]]
        out.append("<h3>Examples</h3><ul>")
        out.extend(f"<li>{_e(s)}</li>" for s in sentences)
        out.append("</ul>")
        if len(match.unmatched) > 2 * EXAMPLES:
            out.append(
                f'<p class="note">{_int(len(match.unmatched) - 2 * EXAMPLES)} more in the match '
                "result.</p>"
            )
    return "".join(out)


def _examples(match: schemas.MatchResponse | None) -> str:
    if match is None:
        return '<p class="note">No match result was given (only pairs): no explanations.</p>'
    explained = [m for m in match.matches if m.explanation is not None]
    if not explained:
        return '<p class="note">The match was run without explanations.</p>'
    order = sorted(range(len(explained)), key=lambda k: (-explained[k].score, k))
    picks: list[int] = []
    for position in (0, len(order) // 4, len(order) // 2, (3 * len(order)) // 4, len(order) - 1):
        if order[position] not in picks:
            picks.append(order[position])
    forgone = next((k for k in order if explained[k].explanation.best_not_given), None)  # type: ignore[union-attr]
    if forgone is not None and forgone not in picks:
        picks.append(forgone)
    out = [
        '<p class="note">Pairs from the top, the quartiles and the bottom of the scores (and one '
        "whose better mentor was full). The bar splits each score into its facets' "
        "contributions.</p>"
    ]
    for k in picks[:EXAMPLES]:
        m = explained[k]
        ex = m.explanation
        assert ex is not None
        parts = [(name, share.contribution) for name, share in ex.facets.items()]
        legend = "".join(
            f'<span><i style="background:{FACET_COLOURS[n % len(FACET_COLOURS)]}"></i>'
            f"{_e(name)} {_similarity(share.similarity)} × {share.weight:.2f}</span>"
            for n, (name, share) in enumerate(ex.facets.items())
        )
        skills = "; ".join(f"{_e(s.wanted)} ~ {_e(s.offered)}" for s in ex.skill_pairs[:3])
        out.append(
            f'<div class="example"><div class="pair">{_e(m.mentee_id)} → {_e(m.mentor_id)}, '
            f"score {m.score:.3f}, choice {ex.rank} of {ex.feasible_mentors}</div>"
            f"<div>{_e(ex.summary)}</div>"
            + stacked_bar(parts, m.score, f"Facet contributions of {m.mentee_id} and {m.mentor_id}")
            + f'<div class="legend">{legend}</div>'
            + (f'<div class="note">skills: {skills}</div>' if skills else "")
            + "</div>"
        )
    return "".join(out)


def _similarity(value: float | None) -> str:
    """A facet's similarity, or "missing" when nothing was compared (see the scores' rules)."""
    return "missing" if value is None else f"{value:.2f}"


def _history(audit: schemas.AuditResponse) -> str:
    h = audit.history
    if h is None:
        return ""
    cards = [
        _card("Past pairs", _int(h.pairs), f"of {_int(h.mentees)} mentees"),
        _card(
            "Re-match rate",
            _pct(h.rematch_rate),
            f"{_int(h.rematched)} of {_int(h.mentees)} mentees had a new mentor after a pair ended",
        ),
        _card(
            "Ended",
            _int(h.ended),
            f"{_int(h.ended_by_policy)} by policy, {_int(h.ended_bad_outcome)} bad outcome, "
            f"{_int(h.ended_by_rematch)} re-match, {_int(h.ended_other)} other",
        ),
    ]
    out = ['<h2 id="history">History</h2><div class="cards">', *cards, "</div>"]
    rated = [c for c in h.cohorts if c.period][:12]
    if rated:
        series = [(c.cohort, list(zip(c.period, c.mean, strict=True))) for c in rated]
        out.append("<h3>Mean rating over time, by start month</h3>")
        out.append(
            lines("ratings", "Mean rating by 30-day period since the start", series,
                  "30-day periods since the pair started", (1.0, 5.0))
        )  # fmt: skip
    rows = [
        (
            "",
            [
                _e(c.cohort),
                _int(c.pairs),
                ", ".join(
                    f"{p}: {m:.2f} ({n})" for p, m, n in zip(c.period, c.mean, c.count, strict=True)
                )
                or "–",
            ],
        )
        for c in h.cohorts
    ]
    out.append(_table(["Start month", "Pairs", "Mean rating by period (ratings)"], rows))
    return "".join(out)


_FOOTER = """
<footer><h3>How to read this report</h3><ul>
<li>A <b>group</b> is one value of one attribute; people without the attribute form the group
"(no value)". A mentee's <b>slots</b> are its demand; a group's <b>matched share</b> is its
matched slots over its slots, with a 95% Wilson interval.</li>
<li><b>Four-fifths rule</b>: a group whose matched share (or mean score) is below {ff:g} of the
best group's is flagged. A flag is <b>robust</b> when it holds at both ends of the intervals;
a flag on fewer than {size} slots, or one that changes within the intervals, carries a
<b>caution</b>: few people are weak evidence.</li>
<li><b>Top choice</b>: the share of a group's members whose pairs include their best-scoring
feasible mentor. <b>Bottom decile</b>: the pair score with a tenth of the group's pairs at or
below it.</li>
<li>The <b>Gini</b> coefficient of the mentors' loads is 0 when every mentor with capacity has
as many mentees, and grows as a few mentors take most of them.</li>
</ul><p>Made by matchsvc from the match and the people it was given; no data leaves this
file.</p></footer>
"""


def render_report(
    audit: schemas.AuditResponse, match: schemas.MatchResponse | None, *, title: str = ""
) -> str:
    """The report as one self-contained HTML document.

    Args:
        audit: the audit of the match (``POST /audit``'s body).
        match: the match itself (``POST /match``'s body), for the solver, the fairness floors,
            the unmatched sentences and the example explanations; None when only pairs are
            known.
        title: the heading (default "Matching report").

    Returns:
        HTML (UTF-8 text): deterministic for the same arguments.
    """
    heading = title or "Matching report"
    body = [
        f"<h1>{_e(heading)}</h1>",
        _summary(audit, match),
        '<h2 id="flags">Flags</h2>',
        _flags(audit),
        '<h2 id="groups">Groups</h2>',
        _groups(audit),
        _fairness(match),
        '<h2 id="scores">Scores</h2>',
        _scores(audit),
        '<h2 id="loads">Mentor loads</h2>',
        _loads(audit),
        '<h2 id="unmatched">Unmatched mentees</h2>',
        _unmatched(audit, match),
        '<h2 id="explanations">Example explanations</h2>',
        _examples(match),
        _history(audit),
        _FOOTER.format(ff=audit.four_fifths, size=audit.min_group_size),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(heading)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )

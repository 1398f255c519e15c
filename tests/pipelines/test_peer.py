"""Peer pairs and circles over one pool: hand-computed mutual scores (the token encoder makes
every similarity exact: 1 for the same token, 0.05 for different ones), mean vs min, rules
that hold both ways, the reasons for everyone left out, circles with leaders against brute
force, and every validation branch."""

from __future__ import annotations

import itertools
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from matchsvc.assignment import verify_peer_certificate
from matchsvc.errors import InvalidInputError, LimitExceededError
from matchsvc.pipelines import (
    CircleOptions,
    PeerOptions,
    check_pool,
    check_pool_limits,
    peer_circles,
    peer_match,
    peer_problem,
)
from matchsvc.profiles import Communication, Profile, Wishes
from matchsvc.scoring import Constraints, Criterion, EmbeddingCache, ScoringOptions
from tests.fakes import FakeEncoder, TokenEncoder

SKILLS = ScoringOptions(weights={"skills": 1})
OFF = 0.05  # an unrelated token's similarity (cosine 0 on the facets' scale)


def embedder() -> EmbeddingCache:
    return EmbeddingCache(TokenEncoder())


def person(pid: str, tokens: list[int], **fields: Any) -> Profile:
    return Profile(id=pid, skills=tuple(f"k{t}" for t in tokens), **fields)


def fit(wants: list[int], offers: list[int]) -> float:
    """The skills facet by hand: each wanted token covered (1) or not (0.05), averaged."""
    return sum(1.0 if t in offers else OFF for t in wants) / len(wants)


# The pool where the two rules disagree (found by search, checked by hand below):
# mean pairs ana-dev and ben-cat (1.525 vs 1.446); min pairs ana-ben and cat-dev (1.208 vs 1.05).
POOL = {"ana": [1, 2, 4], "ben": [0, 1, 2], "cat": [2], "dev": [2, 4]}


def pool() -> list[Profile]:
    return [person(pid, tokens) for pid, tokens in POOL.items()]


@pytest.mark.parametrize("rule", ["mean", "min"])
def test_mutual_scores_are_the_rule_of_both_fits_by_hand(rule: str) -> None:
    problem = peer_problem(pool(), PeerOptions(scoring=SKILLS, mutual=rule), embedder())  # type: ignore[arg-type]
    tokens = list(POOL.values())
    for i, j in itertools.permutations(range(4), 2):
        a, b = fit(tokens[i], tokens[j]), fit(tokens[j], tokens[i])
        assert problem.comp.scores[i, j] == pytest.approx(a, abs=1e-6)
        want = (a + b) / 2 if rule == "mean" else min(a, b)
        assert problem.mutual[i, j] == pytest.approx(want, abs=1e-6)
    assert (problem.mutual == problem.mutual.T).all()  # exactly symmetric
    assert problem.mutual.diagonal().tolist() == [0.0] * 4
    assert not problem.allowed.diagonal().any()


def test_mean_and_min_choose_different_pairs() -> None:
    mean = peer_match(pool(), PeerOptions(scoring=SKILLS, mutual="mean"), embedder())
    low = peer_match(pool(), PeerOptions(scoring=SKILLS, mutual="min"), embedder())
    assert [(p.person_id, p.partner_id) for p in mean.pairs] == [("ana", "dev"), ("ben", "cat")]
    assert mean.summary.total_score == pytest.approx((2.05 / 3 + 1) / 2 + (1.1 / 3 + 1) / 2)
    assert [(p.person_id, p.partner_id) for p in low.pairs] == [("ana", "ben"), ("cat", "dev")]
    assert low.summary.total_score == pytest.approx(2.05 / 3 + 1.05 / 2)
    assert mean.summary.optimal and low.summary.optimal
    assert mean.summary.solver == "blossom" and low.summary.mutual == "min"


def test_the_pair_explanation_gives_both_directions() -> None:
    report = peer_match(pool(), PeerOptions(scoring=SKILLS), embedder())
    pair = report.pairs[1]  # ben and cat: cat's only skill is one ben has
    e = pair.explanation
    assert e is not None and e.mutual == "mean"
    assert (e.person.person_id, e.person.partner_id) == ("ben", "cat")
    assert e.person.fit == pytest.approx(1.1 / 3) and e.partner.fit == pytest.approx(1.0)
    assert pair.score == pytest.approx((1.1 / 3 + 1.0) / 2)
    assert e.person.facets["skills"].contribution == pytest.approx(1.1 / 3)
    assert [(s.wanted, s.offered, round(s.similarity, 6)) for s in e.partner.skill_pairs] == [
        ("k2", "k2", 1.0)
    ]
    assert e.person.skill_pairs[0].wanted == "k2" and e.person.skill_pairs[0].similarity == 1.0
    # ranks by mutual score, ties by pool order: ben's partners are ana .6833, cat .6833 and
    # dev .4458; cat's are dev .7625 first, then ana .6833 and ben .6833 (equal up to float32
    # rounding: the order of the two is read off the matrix itself)
    problem = peer_problem(pool(), PeerOptions(scoring=SKILLS), embedder())

    def rank(i: int, j: int) -> int:
        others = sorted((k for k in range(4) if k != i), key=lambda k: (-problem.mutual[i, k], k))
        return others.index(j) + 1

    assert (e.person.rank, e.person.feasible_partners) == (rank(1, 2), 3)
    assert (e.partner.rank, e.partner.feasible_partners) == (rank(2, 1), 3)
    assert rank(2, 3) == 1 and rank(1, 3) == 3 and e.partner.rank in (2, 3)
    assert e.shared_languages == () and e.overlap_hours is None
    assert "ben and cat: mutual score 0.68 (mean of ben's fit 0.37 and cat's 1.00)" in e.summary


def test_the_certificate_of_a_peer_match_verifies_on_the_mutual_matrix() -> None:
    rng = np.random.default_rng(3)
    words = ["python", "sql", "design", "sales", "leadership", "rust", "ml", "writing"]
    people = [
        Profile(
            id=f"p{k}",
            skills=tuple(rng.choice(words, size=int(rng.integers(1, 4)), replace=False)),
            communication=Communication(languages=("en",) if k % 5 else ("de",)),
            exclude=(f"p{k + 1}",) if k % 7 == 0 else (),
        )
        for k in range(31)
    ]
    options = PeerOptions(min_score=0.3)
    problem = peer_problem(people, options, EmbeddingCache(FakeEncoder()))
    result = problem.solve()
    report = verify_peer_certificate(result, problem.mutual, problem.allowed)
    assert report.valid, report
    match = peer_match(people, options, EmbeddingCache(FakeEncoder()))
    pairs = [(problem.ids[i], problem.ids[j]) for i, j in result.pairs.tolist()]
    assert [(p.person_id, p.partner_id) for p in match.pairs] == pairs
    assert match.summary.total_score == pytest.approx(result.total)
    assert match.summary.matched + 0 == len(pairs) and match.summary.optimal
    assert len(match.unmatched) == 31 - 2 * len(pairs)


def test_exclusions_and_languages_hold_both_ways() -> None:
    people = [
        person("ana", [0], exclude=("ben",)),  # one-sided: ben did not exclude ana
        person("ben", [0]),
        person("cat", [0], communication=Communication(languages=("de",))),
        person("dev", [0], communication=Communication(languages=("en",))),
    ]
    problem = peer_problem(people, PeerOptions(scoring=SKILLS), embedder())
    assert not problem.feasible[0, 1] and not problem.feasible[1, 0]
    assert not problem.feasible[2, 3] and not problem.feasible[3, 2]
    assert problem.feasible[0, 2] and problem.feasible[1, 3]
    report = peer_match(people, PeerOptions(scoring=SKILLS), embedder())
    pairs = {frozenset((p.person_id, p.partner_id)) for p in report.pairs}
    assert len(pairs) == 2 and not pairs & {frozenset(("ana", "ben")), frozenset(("cat", "dev"))}


def test_a_one_way_rule_removes_the_pair_and_is_counted_on_the_partners_side() -> None:
    # hard gap: the partner's years minus the person's in [0, 10]: it passes one way only
    crit = Criterion("older", "years", "gap", min=0, max=10, hard=True)
    options = PeerOptions(scoring=ScoringOptions(weights={"skills": 1}, criteria=(crit,)))
    people = [
        person("ana", [0], attributes=MappingProxyType({"years": 1})),
        person("ben", [0], attributes=MappingProxyType({"years": 5})),
    ]
    problem = peer_problem(people, options, embedder())
    assert problem.comp.allowed[0, 1] and not problem.comp.allowed[1, 0]
    assert not problem.feasible.any()
    report = peer_match(people, options, embedder())
    ana, ben = report.unmatched
    assert ana.reason == ben.reason == "no_allowed_partner"
    assert dict(ana.removed_by) == {
        "language": 0, "availability": 0, "exclude": 0, "older": 0,
        "partner_side": 1, "min_score": 0,
    }  # fmt: skip
    assert ben.removed_by["older"] == 1 and ben.removed_by["partner_side"] == 0
    assert ana.best_score is None and ana.allowed_partners == 0


def test_a_rule_that_fails_a_person_with_themself_is_not_counted() -> None:
    # "different": a person always shares their own value; availability below the minimum
    crit = Criterion("other_team", "team", "different", hard=True)
    scoring = ScoringOptions(
        weights={"skills": 1},
        criteria=(crit,),
        constraints=Constraints(min_overlap_hours=2),
    )
    short = Communication(timezone="UTC", availability=())
    people = [
        person("ana", [0], attributes=MappingProxyType({"team": "x"})),
        person("ben", [0], attributes=MappingProxyType({"team": "x"})),
        person("cat", [0], attributes=MappingProxyType({"team": "y"}), communication=short),
    ]
    problem = peer_problem(people, PeerOptions(scoring=scoring), embedder())
    assert problem.self_failed["other_team"].tolist() == [True, True, True]
    assert problem.comp.removed["other_team"].tolist() == [2, 2, 1]  # themself included
    report = peer_match(people, PeerOptions(scoring=scoring), embedder())
    assert [(p.person_id, p.partner_id) for p in report.pairs] == [("ana", "cat")]
    (ben,) = report.unmatched
    assert ben.reason == "no_partner_left" and ben.removed_by["other_team"] == 1
    assert ben.allowed_partners == 1
    assert ben.best_partners[0].partner_id == "cat" and ben.best_partners[0].with_ids == ("ana",)


def test_self_failed_explains_every_refused_diagonal() -> None:
    rng = np.random.default_rng(0)
    crits = (
        Criterion("d", "team", "different", hard=True),
        Criterion("g", "years", "gap", min=1, max=5, hard=True),
        Criterion("s", "team", "same", hard=True),
        Criterion("o", "tags", "overlap", hard=True),
    )
    people = [
        Profile(
            id=f"p{k}",
            attributes=MappingProxyType(
                {
                    **({"team": str(rng.integers(0, 3))} if rng.random() < 0.7 else {}),
                    **({"years": int(rng.integers(0, 9))} if rng.random() < 0.7 else {}),
                    **(
                        {"tags": ("a", "b")[: int(rng.integers(0, 3))]}
                        if rng.random() < 0.7
                        else {}
                    ),
                }
            ),
            communication=Communication(
                timezone="UTC",
                availability=(
                    (replace_window(int(rng.integers(1, 4))),) if rng.random() < 0.5 else ()
                ),
            ),
        )
        for k in range(25)
    ]
    scoring = ScoringOptions(criteria=crits, constraints=Constraints(min_overlap_hours=2))
    problem = peer_problem(people, PeerOptions(scoring=scoring), EmbeddingCache(FakeEncoder()))
    refused = ~np.diagonal(problem.comp.allowed)
    failed = np.logical_or.reduce([v for v in problem.self_failed.values()])
    assert refused.tolist() == failed.tolist()
    assert refused.any() and not refused.all()


def replace_window(hours: int) -> Any:
    from matchsvc.profiles import Availability

    return Availability("mon", "09:00", f"{9 + hours:02d}:00")


def test_an_odd_pool_leaves_one_person_with_the_reason() -> None:
    people = [person("ana", [0]), person("ben", [0]), person("cat", [1])]
    report = peer_match(people, PeerOptions(scoring=SKILLS), embedder())
    assert [(p.person_id, p.partner_id, p.score) for p in report.pairs] == [
        ("ana", "ben", pytest.approx(1.0))
    ]
    (cat,) = report.unmatched
    assert cat.reason == "no_partner_left" and cat.allowed_partners == 2
    assert [(b.partner_id, b.score, b.with_ids) for b in cat.best_partners] == [
        ("ana", pytest.approx(OFF), ("ben",)),
        ("ben", pytest.approx(OFF), ("ana",)),
    ]
    assert cat.best_score == pytest.approx(OFF)
    assert "all 2 allowed partners are paired" in cat.summary


def test_an_isolated_person_has_no_allowed_partner() -> None:
    en, de = Communication(languages=("en",)), Communication(languages=("de",))
    people = [
        person("ana", [0], communication=en),
        person("ben", [0], communication=en),
        person("cat", [0], communication=de),
    ]
    report = peer_match(people, PeerOptions(scoring=SKILLS), embedder())
    (cat,) = report.unmatched
    assert cat.reason == "no_allowed_partner"
    assert cat.removed_by["language"] == 2 and cat.best_score is None
    assert cat.summary == (
        "cat has no allowed partner: every other person is removed by a hard rule or "
        "min_score (removed by: language 2)."
    )


def test_min_score_applies_to_the_mutual_score() -> None:
    people = [person("ana", [0, 1]), person("ben", [0]), person("cat", [2])]
    # ana-ben: mean (0.525 + 1) / 2 = 0.7625, min 0.525; everyone with cat 0.05
    report = peer_match(people, PeerOptions(scoring=SKILLS, min_score=0.6), embedder())
    assert [(p.person_id, p.partner_id) for p in report.pairs] == [("ana", "ben")]
    low = peer_match(people, PeerOptions(scoring=SKILLS, min_score=0.6, mutual="min"), embedder())
    assert low.pairs == ()
    ana = low.unmatched[0]
    assert ana.reason == "no_allowed_partner"
    assert ana.removed_by["min_score"] == 2 and ana.best_score == pytest.approx(0.525)


def test_without_explanations_pairs_and_reasons_stay() -> None:
    report = peer_match(pool(), PeerOptions(scoring=SKILLS, explain=False), embedder())
    assert len(report.pairs) == 2 and all(p.explanation is None for p in report.pairs)
    circles = peer_circles(
        pool(), CircleOptions(scoring=SKILLS, explain=False, min_size=2, max_size=2), embedder()
    )
    assert all(c.explanation is None for c in circles.circles)


def test_the_same_input_gives_the_same_answer() -> None:
    def strip(report: Any) -> Any:
        return replace(report, summary=replace(report.summary, timings_ms={}))

    options = CircleOptions(scoring=SKILLS, min_size=2, max_size=3, seed=4)
    a = peer_circles(pool(), options, embedder())
    b = peer_circles(pool(), options, embedder())
    assert strip(a) == strip(b)


def test_empty_and_single_pools() -> None:
    empty = peer_match([], PeerOptions(), embedder())
    assert empty.pairs == () and empty.unmatched == () and empty.summary.people == 0
    alone = peer_match([person("ana", [0])], PeerOptions(), embedder())
    assert alone.unmatched[0].summary == "ana has no allowed partner: nobody else is in the pool."
    none = peer_circles([], CircleOptions(), embedder())
    assert none.circles == () and none.summary.upper_bound == 0.0


# ---------------------------------------------------------------------------- circles


def brute_force(w: np.ndarray, sizes: tuple[int, int]) -> float:
    """The best total of a partition of everyone into circles of the size range (tiny)."""
    n, (low, high) = w.shape[0], sizes
    best = -np.inf

    def rec(rest: list[int], total: float) -> None:
        nonlocal best
        if not rest:
            best = max(best, total)
            return
        first, others = rest[0], rest[1:]
        for size in range(low, high + 1):
            for mates in itertools.combinations(others, size - 1):
                group = (first, *mates)
                value = sum(w[a, b] for a, b in itertools.combinations(group, 2))
                rec([x for x in others if x not in mates], total + value)

    rec(list(range(n)), 0.0)
    return best


def test_circles_lie_between_the_heuristic_and_the_bound() -> None:
    people = [person(f"p{k}", [k % 3, 3 + k % 2]) for k in range(8)]
    report = peer_circles(people, CircleOptions(scoring=SKILLS, min_size=3, max_size=5), embedder())
    problem = peer_problem(people, CircleOptions(scoring=SKILLS), embedder())
    best = brute_force(problem.mutual, (3, 5))
    s = report.summary
    assert s.total_score <= best + 1e-9 <= s.upper_bound + 2e-9
    assert s.placed == 8 and s.circles in (2,) and s.gap >= 0
    assert s.method == "merge_local_search" and s.bound_method == "set_partition_lp"
    for c in report.circles:
        ix = [problem.ids.index(m) for m in c.members]
        pairs = sum(problem.mutual[a, b] for a, b in itertools.combinations(ix, 2))
        assert c.score == pytest.approx(pairs)
        assert c.explanation is not None and c.explanation.pair_score == pytest.approx(pairs)


def test_circles_with_leaders_add_each_members_fit_with_the_leader() -> None:
    people = [person(f"a{k}", [0]) for k in range(3)] + [person(f"b{k}", [1]) for k in range(3)]
    leaders = [
        Profile(id="lee", skills=("k0",), capacity=1),
        Profile(id="mo", skills=("k1",), capacity=1),
    ]
    options = CircleOptions(scoring=SKILLS, min_size=3, max_size=3)
    report = peer_circles(people, options, embedder(), leaders=leaders)
    got = {c.members: c.leader_id for c in report.circles}
    assert got == {("a0", "a1", "a2"): "lee", ("b0", "b1", "b2"): "mo"}
    for c in report.circles:
        e = c.explanation
        assert e is not None
        # every member wants their own token, which their leader offers: fit 1 each
        assert [m.leader_fit for m in e.members] == [1.0, 1.0, 1.0]
        assert e.leader_score == 3.0 and e.pair_score == pytest.approx(3.0)
        assert c.score == pytest.approx(6.0)
        assert e.members[0].strongest is not None and e.members[0].strongest.score == 1.0
        assert [b.person_id for b in e.members[0].brings] == [m for m in c.members[1:]]
    s = report.summary
    assert s.total_score == pytest.approx(12.0) and s.optimal and s.gap == 0.0
    assert s.bound_method == "set_partition_lp+leader_transport"
    assert set(s.timings_ms) == {"embed", "score", "solve", "bound", "explain"}


def test_circle_reasons_name_sizes_partners_and_leaders() -> None:
    de = Communication(languages=("de",))
    en = Communication(languages=("en",))
    people = [person(f"p{k}", [0], communication=en) for k in range(4)]
    people.append(person("lone", [0], communication=de))
    report = peer_circles(people, CircleOptions(scoring=SKILLS, min_size=3, max_size=3), embedder())
    reasons = {u.person_id: u.reason for u in report.unmatched}
    assert reasons["lone"] == "too_few_allowed_partners"
    assert sorted(reasons.values()) == ["pool_size", "too_few_allowed_partners"]
    lone = next(u for u in report.unmatched if u.person_id == "lone")
    assert lone.removed_by["language"] == 4 and lone.allowed_leaders is None
    left = next(u for u in report.unmatched if u.reason == "pool_size")
    assert left.allowed_partners == 3 and len(left.best_partners) == 3
    assert all(len(b.with_ids) == 2 for b in left.best_partners)
    # one leader leading one circle: three of six are left for want of leaders
    six = [person(f"p{k}", [0]) for k in range(6)]
    led = peer_circles(
        six,
        CircleOptions(scoring=SKILLS, min_size=3, max_size=3),
        embedder(),
        leaders=[Profile(id="lee", skills=("k0",), capacity=1)],
    )
    assert [u.reason for u in led.unmatched] == ["no_leader_capacity"] * 3
    assert all(u.allowed_leaders == 1 for u in led.unmatched)


# ---------------------------------------------------------------------------- validation


def _check(people: list[Profile], options: Any, leaders: list[Profile] | None = None) -> str:
    with pytest.raises(InvalidInputError) as info:
        check_pool(people, leaders or [], options)
    return str(info.value.field)


TWO = [person("ana", [0]), person("ben", [1])]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (PeerOptions(mutual="max"), "options.mutual"),  # type: ignore[arg-type]
        (PeerOptions(min_score=1.5), "options.min_score"),
        (PeerOptions(cover_threshold=-0.1), "options.cover_threshold"),
        (CircleOptions(min_size=1), "options.min_size"),
        (CircleOptions(max_size=9), "options.max_size"),
        (CircleOptions(min_size=2.5), "options.min_size"),  # type: ignore[arg-type]
        (CircleOptions(min_size=5, max_size=4), "options.min_size"),
        (CircleOptions(seed=-1), "options.seed"),
        (CircleOptions(seed=2**31), "options.seed"),
        (PeerOptions(scoring=ScoringOptions(weights={"skills": -1})), "options.weights.skills"),
        ("mean", "options"),
    ],
)
def test_every_option_branch_names_its_field(options: Any, field: str) -> None:
    assert _check(TWO, options) == field


def test_people_and_leaders_branches_name_their_fields() -> None:
    c = CircleOptions()
    assert _check([person("ana", [0]), person("ana", [1])], c) == "people[1].id"
    assert _check([person("ana", [0], exclude=("ana",))], c) == "people[0].exclude[0]"
    assert _check([person("ana", [0], exclude=("zoe",))], c) == "people[0].exclude[0]"
    assert _check(TWO, PeerOptions(), [Profile(id="lee")]) == "leaders"
    assert _check(TWO, c, [Profile(id="ana")]) == "leaders[0].id"
    assert _check(TWO, c, [Profile(id="lee", capacity=-1)]) == "leaders[0].capacity"
    two_leaders = [Profile(id="lee", exclude=("mo",)), Profile(id="mo")]
    assert _check(TWO, c, two_leaders) == "leaders[0].exclude[0]"
    assert _check(TWO, c, [Profile(id="lee"), Profile(id="lee")]) == "leaders[1].id"
    bad_text = [person("ana", [0], exclude=("x\ud800",))]
    assert _check(bad_text, c) == "people[0].exclude[0]"
    assert _check([Profile(id="ana", goals=3)], c) == "people[0].goals"  # type: ignore[arg-type]
    # a person may exclude a leader, and a leader a person of the pool
    check_pool(
        [person("ana", [0], exclude=("lee",)), person("ben", [1])],
        [Profile(id="lee", exclude=("ben",))],
        c,
    )


def test_excluding_a_leader_keeps_them_apart() -> None:
    people = [person(f"p{k}", [0]) for k in range(4)]
    people[0] = replace(people[0], exclude=("lee",))
    leaders = [Profile(id="lee", skills=("k0",), capacity=1), Profile(id="mo", capacity=1)]
    report = peer_circles(
        people, CircleOptions(scoring=SKILLS, min_size=2, max_size=2), embedder(), leaders=leaders
    )
    p0 = next(c for c in report.circles if "p0" in c.members)
    assert p0.leader_id == "mo"


@pytest.mark.parametrize(
    ("people", "leaders", "field"),
    [
        ([Profile(id=f"p{k}") for k in range(4)], [], "people"),
        (TWO, [Profile(id="a"), Profile(id="b")], "leaders"),
        ([Profile(id="ana", skills=("x",) * 3)], [], "people[0].skills"),
        ([Profile(id="ana", wishes=Wishes(topics=("x",) * 3))], [], "people[0].wishes.topics"),
        ([Profile(id="ana", goals="x" * 11)], [], "people[0].goals"),
        ([], [Profile(id="lee", skills=("y" * 11,))], "leaders[0].skills[0]"),
    ],
)
def test_pool_limits_name_the_field(
    people: list[Profile], leaders: list[Profile], field: str
) -> None:
    with pytest.raises(LimitExceededError) as info:
        check_pool_limits(
            people, leaders, max_people=3, max_leaders=1, max_skills=2, max_text_length=10
        )
    assert info.value.field == field


def test_pairs_refuse_circle_options_and_circles_refuse_pair_options() -> None:
    with pytest.raises(InvalidInputError, match="peer_circles"):
        peer_match(TWO, CircleOptions(), embedder())
    with pytest.raises(InvalidInputError, match="CircleOptions"):
        peer_circles(TWO, PeerOptions(), embedder())  # type: ignore[arg-type]

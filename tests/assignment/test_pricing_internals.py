"""The pricing solver's own checks and bookkeeping: node conditions, the warm seed, rounds and
passes, and a block source read over several blocks."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import Assignment, Certificate, assign, verify_certificate
from matchsvc.assignment._network import Graph, NetworkSolution
from matchsvc.assignment._pricing import PricingSolver, _node_conditions, _seed
from matchsvc.assignment._validate import validate
from matchsvc.errors import InvalidInputError
from tests.assignment.test_certificate import (
    TIGHT_CAP,
    TIGHT_MOVES,
    TIGHT_OK,
    TIGHT_S,
    TOL,
    moved,
    tight,
)

FloatArray = npt.NDArray[np.float64]


# -- _node_conditions: the per-node half of verify_certificate ------------------------------


def node_conditions(cert: Certificate) -> bool:
    problem = validate(TIGHT_S, TIGHT_CAP, None, TIGHT_OK, "total", None)
    # arcs (0, 0) and (1, 0); the first is matched
    g = Graph(2, 2, np.array([0, 1, 2]), np.array([0, 0]), np.array([1.0, 0.0]))
    sol = NetworkSolution(np.array([True, False]), cert, np.zeros(4, np.int64), 0)
    return _node_conditions(problem, g, sol, TOL)


NODE_MOVES = [m for m in TIGHT_MOVES if m[2].value != "negative_reduced_cost"]


@pytest.mark.parametrize(("base", "moves", "code"), NODE_MOVES)
def test_node_conditions_hold_at_the_tolerance_and_fail_beyond(
    base: str, moves: list[tuple[str, int | None, int]], code: object
) -> None:
    _, cert = tight(base)
    assert node_conditions(cert)
    assert node_conditions(moved(cert, [(f, i, sign * TOL) for f, i, sign in moves]))
    assert not node_conditions(moved(cert, [(f, i, sign * 2 * TOL) for f, i, sign in moves]))


def test_node_conditions_leave_free_pairs_to_pricing() -> None:
    _, cert = tight()
    assert node_conditions(moved(cert, [("mentee_potential", 1, -1.0)]))


def test_node_conditions_check_the_cut() -> None:
    _, cert = tight()
    assert not node_conditions(dataclasses.replace(cert, reach_mentees=np.array([True, False])))
    assert not node_conditions(dataclasses.replace(cert, reach_mentors=np.array([True, True])))


# -- _seed: what a warm start keeps ---------------------------------------------------------


def previous(pairs: list[list[int]], n: int, m: int, cert: bool = True) -> Assignment:
    p = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    c = Certificate(
        mentee_potential=np.arange(n, dtype=np.float32),
        mentor_potential=-np.arange(m, dtype=np.float32),
        source_potential=2,  # type: ignore[arg-type]  # an int: the seed makes it a float
        sink_potential=-1,  # type: ignore[arg-type]
        reach_mentees=np.zeros(n, bool),
        reach_mentors=np.zeros(m, bool),
    )
    return Assignment(
        pairs=p,
        scores=np.zeros(p.shape[0]),
        total=0.0,
        unmatched=np.zeros(n, np.int64),
        loads=np.bincount(p[:, 1], minlength=m).astype(np.int64),
        solver="flow",
        optimal=True,
        objective="total",
        certificate=c if cert else None,
    )


def test_seed_keeps_the_first_pairs_that_still_fit() -> None:
    prev = previous([[0, 0], [0, 1], [1, 0], [1, 2], [2, 0]], 3, 3)
    ok = np.ones((3, 3), bool)
    ok[1, 2] = False  # (1, 2) is now forbidden
    problem = validate(np.zeros((3, 3)), [2, 1, 1], [1, 2, 1], ok, "total", None)
    seed = _seed(prev, problem)
    # mentee 0 now wants one mentor: (0, 1) goes; mentor 0 now takes two: (2, 0) goes
    assert seed.keys.tolist() == [0 * 3 + 0, 1 * 3 + 0]
    assert seed.keys.dtype == np.int64
    assert seed.mentee_potential.dtype == np.float64 and seed.mentee_potential.tolist() == [0, 1, 2]
    assert seed.mentor_potential.dtype == np.float64 and seed.mentor_potential.tolist() == [
        0,
        -1,
        -2,
    ]
    assert type(seed.source_potential) is float and seed.source_potential == 2.0
    assert type(seed.sink_potential) is float and seed.sink_potential == -1.0
    assert prev.certificate is not None
    seed.mentee_potential[0] = 9.0  # a copy: the previous answer is not changed
    assert prev.certificate.mentee_potential[0] == 0.0


def test_seed_without_allowed_keeps_every_pair_that_fits() -> None:
    prev = previous([[0, 2], [1, 2], [2, 1]], 3, 3)
    problem = validate(np.zeros((3, 3)), [1, 1, 2], [1, 1, 1], None, "total", None)
    assert _seed(prev, problem).keys.tolist() == [2, 5, 7]
    tighter = validate(np.zeros((3, 3)), [1, 1, 1], [1, 1, 1], None, "total", None)
    assert _seed(prev, tighter).keys.tolist() == [2, 7]  # mentor 2 keeps its first mentee


def test_seed_keeps_the_lowest_indices_on_a_large_start() -> None:
    """Ties in the keep order are broken by index (a stable sort), also past 16 pairs."""
    pairs = [[i, j] for i in range(8) for j in range(8) if (i + j) % 3 != 1]
    prev = previous(pairs, 8, 8)
    problem = validate(np.zeros((8, 8)), [1] * 8, [2] * 8, None, "total", None)
    kept = _seed(prev, problem).keys
    got = sorted((int(k) // 8, int(k) % 8) for k in kept)
    # each mentee keeps its first two pairs, then each mentor its first mentee among those
    by_mentee = [p for i in range(8) for p in [q for q in map(tuple, pairs) if q[0] == i][:2]]
    first = {}
    for i, j in sorted(map(tuple, pairs), key=lambda q: (q[1], q[0])):
        first.setdefault(j, (i, j))
    assert got == sorted(set(by_mentee) & set(first.values()))


def test_seed_refuses_another_shape_or_no_certificate() -> None:
    problem = validate(np.zeros((3, 3)), None, None, None, "total", None)
    with pytest.raises(InvalidInputError) as err:
        _seed(previous([[0, 0]], 3, 2), problem)
    assert str(err.value) == (
        "warm_start must be an assignment of a 3 x 3 problem with a certificate (from solver "
        "'flow' or 'pricing'); got 3 x 2"
    )
    assert err.value.field == "warm_start"
    with pytest.raises(InvalidInputError) as err:
        _seed(previous([[0, 0]], 3, 3, cert=False), problem)
    assert str(err.value) == (
        "warm_start must be an assignment of a 3 x 3 problem with a certificate (from solver "
        "'flow' or 'pricing'); got 3 x 3 without a certificate"
    )
    assert err.value.field == "warm_start"


# -- rounds, passes and the warm start, observed through stats --------------------------------


def clustered(seed: int, n: int = 80, m: int = 20) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    rng = np.random.default_rng([seed, 44])
    ca, cb = rng.integers(0, 4, n), rng.integers(0, 4, m)
    s = np.rint(40 * (ca[:, None] == cb[None, :]) + rng.normal(0, 12, (n, m)))
    cap = np.zeros(m, np.int64)
    np.add.at(cap, rng.integers(0, m, n), 1)
    return s, cap


def test_a_warm_start_from_the_same_answer_is_one_round_and_one_pricing_pass() -> None:
    s, cap = clustered(1)
    first = assign(s, capacity=cap, solver="pricing")
    solver = PricingSolver(warm_start=first)
    again = assign(s, capacity=cap, solver=solver)
    np.testing.assert_array_equal(again.pairs, first.pairs)
    st = again.stats
    assert (st["rounds"], st["passes"], st["added"], st["cold_solves"], st["warm_started"]) == (
        1,
        2,
        0,
        0,
        True,
    )
    assert st["arcs"] >= first.n_matched


def test_cold_solve_stats() -> None:
    s, cap = clustered(2)
    solver = PricingSolver(k=1, extra=0, kcache=2)
    a = assign(s, capacity=cap, solver=solver)
    st = a.stats
    assert st["cold_solves"] == 1 and not st["warm_started"]
    assert st["rounds"] >= 2 and st["added"] > 0 and st["passes"] >= 2
    ref = assign(s, capacity=cap, solver="flow")
    assert (a.n_matched, a.total) == (ref.n_matched, ref.total)
    assert st["arcs"] < s.size  # the graph stayed smaller than all pairs


def test_round_limit_is_reported() -> None:
    s, cap = clustered(2)
    with pytest.raises(RuntimeError) as err:
        assign(s, capacity=cap, solver=PricingSolver(k=1, extra=0, kcache=1, max_rounds=1))
    assert str(err.value) == "pricing did not converge in 1 rounds"


# -- a block source read over several blocks ----------------------------------------------------


class Source:
    def __init__(self, s: npt.NDArray[np.float32]) -> None:
        self.s = s
        self.calls: list[tuple[int, int]] = []

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.s.shape[0]), int(self.s.shape[1]))

    def block(self, i0: int, i1: int) -> npt.NDArray[np.float32]:
        self.calls.append((i0, i1))
        return self.s[i0:i1]


@pytest.fixture(scope="module")
def wide() -> npt.NDArray[np.float32]:
    """1,030 mentees x 4,096 mentors: the pricing solver reads 1,024 rows at a time."""
    return np.random.default_rng(3).random((1030, 4096), dtype=np.float32)


def test_several_blocks_with_a_mask(wide: npt.NDArray[np.float32]) -> None:
    ok = np.random.default_rng(4).random(wide.shape) < 0.5
    src = Source(wide)
    a = assign(src, capacity=1, allowed=ok, solver="pricing")
    assert a.n_matched == 1030 and ok[a.pairs[:, 0], a.pairs[:, 1]].all()
    assert src.calls[:2] == [(0, 1024), (1024, 1030)]
    assert verify_certificate(a, wide, capacity=1, allowed=ok).valid


def test_several_blocks_cold_then_warm(wide: npt.NDArray[np.float32]) -> None:
    src = Source(wide)
    a = assign(src, capacity=1, solver="pricing")
    assert a.n_matched == 1030
    assert src.calls[:2] == [(0, 1024), (1024, 1030)]
    assert verify_certificate(a, wide, capacity=1).valid
    np.testing.assert_array_equal(a.scores, wide[a.pairs[:, 0], a.pairs[:, 1]].astype(np.float64))

    changed = wide.copy()
    changed[[5, 1027]] = changed[[1027, 5]]  # two mentees, one in each block, swap profiles
    changed[1028, a.pairs[1028, 1]] = 0.0  # and one pair of the last block loses its score
    solver = PricingSolver(warm_start=a)
    warm = assign(Source(changed), capacity=1, solver=solver)
    assert warm.stats["warm_started"] and warm.stats["cold_solves"] == 0
    np.testing.assert_array_equal(
        warm.scores, changed[warm.pairs[:, 0], warm.pairs[:, 1]].astype(np.float64)
    )
    report = verify_certificate(warm, changed, capacity=1)
    assert report.valid, report.reasons
    # the pairs that still fit were kept: all but those the three changed rows touch
    same = (warm.pairs == a.pairs).all(axis=1)
    assert same.sum() >= 1030 - 6


@pytest.mark.parametrize("where", [(0, 0), (1024, 0), (1029, 4095)])
def test_a_nan_anywhere_in_a_block_is_found(
    wide: npt.NDArray[np.float32], where: tuple[int, int]
) -> None:
    bad = wide.copy()
    bad[where] = np.nan
    with pytest.raises(InvalidInputError) as err:
        assign(Source(bad), capacity=1, solver="pricing")
    assert str(err.value) == (
        f"scores contains nan at ({where[0]}, {where[1]}); use allowed=False to forbid a pair"
    )
    assert err.value.field == "scores"


@pytest.mark.parametrize("seed", [46, 108, 123])
def test_pairs_crossing_the_cut_are_priced_in(seed: int) -> None:
    """Popular mentors, candidate lists of one: on these instances the maximum count needs
    pairs that no list holds and whose reduced cost is not negative; only the cut test adds
    them (found by mutation testing: with it switched off, the answer is one pair short or
    scores less)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(20, 60)), int(rng.integers(4, 12))
    popularity = rng.random(m) ** 3
    s = popularity[None, :] * 10 + rng.normal(0, 0.5, (n, m))
    cap, dem = rng.integers(0, 4, m), rng.integers(0, 3, n)
    ok = rng.random((n, m)) < 0.6
    a = assign(s, cap, dem, ok, solver=PricingSolver(k=1, extra=0, kcache=1))
    ref = assign(s, cap, dem, ok, solver="flow")
    assert a.n_matched == ref.n_matched
    assert a.total == pytest.approx(ref.total, abs=1e-9)
    assert verify_certificate(a, s, cap, dem, ok).valid

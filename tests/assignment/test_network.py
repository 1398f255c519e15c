"""solve_graph: orientation, warm starts and the transposed graph, seen through its outputs
(flow, certificate, status and the kernel's work counters)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import Assignment, verify_certificate
from matchsvc.assignment._flow import dense_graph
from matchsvc.assignment._network import Graph, WarmStart, _transpose, solve_graph
from matchsvc.assignment._types import Certificate
from matchsvc.assignment._validate import validate

FREED, SEARCHES, CYCLES = 3, 1, 4  # indices into the kernel's stats


def graph(s: npt.NDArray[np.float64], ok: npt.NDArray[np.bool_] | None = None) -> Graph:
    return dense_graph(validate(s, None, None, ok, "total", None))


def as_assignment(g: Graph, used: npt.NDArray[np.bool_], cert: Certificate) -> Assignment:
    pairs = np.stack([g.rows[used], g.col[used]], axis=1)
    return Assignment(
        pairs=pairs,
        scores=g.score[used],
        total=float(g.score[used].sum()),
        unmatched=np.zeros(g.n, np.int64),
        loads=np.zeros(g.m, np.int64),
        solver="flow",
        optimal=True,
        objective="total",
        certificate=cert,
    )


def test_transpose_is_mentor_major_with_mentees_in_order() -> None:
    rng = np.random.default_rng(0)
    ok = rng.random((200, 3)) < 0.8
    g = graph(rng.random((200, 3)), ok)
    ptr, rows, arc = _transpose(g)
    assert ptr.tolist() == [0, *np.cumsum(ok.sum(axis=0)).tolist()]
    for j in range(3):
        mentees = rows[ptr[j] : ptr[j + 1]]
        assert mentees.tolist() == np.flatnonzero(ok[:, j]).tolist()  # ascending, all of them
        assert (g.col[arc[ptr[j] : ptr[j + 1]]] == j).all()
        assert (g.rows[arc[ptr[j] : ptr[j + 1]]] == mentees).all()
    assert arc.dtype == np.int64 and ptr.dtype == np.int64


def later_is_better(n: int, m: int, cap: int) -> tuple[Graph, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Every mentor prefers later mentees: processing mentees in index order would first
    place the early ones and then need exchange cycles."""
    s = np.arange(n, dtype=np.float64)[:, None] + 0.01 * np.arange(m)[None, :]
    return graph(s), np.ones(n, np.int64), np.full(m, cap, np.int64)


def test_the_smaller_side_is_processed_so_no_exchange_cycles_are_needed() -> None:
    g, dem, cap = later_is_better(10, 3, 2)  # 10 mentee units, 6 mentor units
    auto = solve_graph(g, dem, cap)
    assert auto.stats[CYCLES] == 0 and auto.status == 0
    forced = solve_graph(g, dem, cap, transposed=False)
    assert forced.stats[CYCLES] > 0  # the same optimum, found the slow way
    assert sorted(g.rows[auto.used].tolist()) == [4, 5, 6, 7, 8, 9]
    assert sorted(g.rows[forced.used].tolist()) == [4, 5, 6, 7, 8, 9]
    assert g.score[auto.used].sum() == pytest.approx(g.score[forced.used].sum(), abs=1e-12)


@pytest.mark.parametrize("transposed", [False, True])
def test_a_warm_start_from_its_own_answer_frees_nothing(transposed: bool) -> None:
    rng = np.random.default_rng(5)
    ok = rng.random((30, 8)) < 0.6
    s = np.round(rng.normal(size=(30, 8)), 3)
    g = graph(s, ok)
    dem = rng.integers(1, 3, 30).astype(np.int64)
    cap = rng.integers(1, 5, 8).astype(np.int64)
    cold = solve_graph(g, dem, cap, transposed=transposed)
    c = cold.certificate
    warm = WarmStart(
        cold.used, c.mentee_potential, c.mentor_potential, c.source_potential, c.sink_potential
    )
    again = solve_graph(g, dem, cap, warm, transposed=transposed)
    np.testing.assert_array_equal(again.used, cold.used)
    assert again.status == 0 and again.stats[FREED] == 0
    assert again.stats[SEARCHES] < cold.stats[SEARCHES]  # not solved again from scratch
    report = verify_certificate(as_assignment(g, again.used, again.certificate), s, cap, dem, ok)
    assert report.valid, report.reasons


@pytest.mark.parametrize("transposed", [False, True])
def test_a_warm_start_with_wrong_prices_is_repaired(transposed: bool) -> None:
    """Prices off by 0.3 (far above rounding, far below the scores' spread): the rows with a
    violated pair are freed and re-routed, and the answer is certified again."""
    rng = np.random.default_rng(6)
    s = np.round(rng.normal(size=(25, 6)) * 3, 3)
    g = graph(s)
    dem, cap = np.ones(25, np.int64), np.full(6, 3, np.int64)
    cold = solve_graph(g, dem, cap, transposed=transposed)
    c = cold.certificate
    shift = 0.3 * np.where(np.arange(6) % 2 == 0, 1.0, -1.0)
    warm = WarmStart(
        cold.used,
        c.mentee_potential,
        c.mentor_potential + shift,
        c.source_potential,
        c.sink_potential,
    )
    again = solve_graph(g, dem, cap, warm, transposed=transposed)
    assert again.stats[FREED] > 0
    report = verify_certificate(as_assignment(g, again.used, again.certificate), s, cap, dem)
    assert report.valid, report.reasons
    assert float(g.score[again.used].sum()) == pytest.approx(float(g.score[cold.used].sum()))


def test_idle_mentees_and_mentors_get_zero_slack_prices() -> None:
    """Demand 0 and capacity 0 nodes sit on no cycle; their free pairs are priced tight."""
    s = np.array([[5.0, 1.0, 2.0], [3.0, 4.0, 9.0], [7.0, 8.0, 6.0]])
    dem = np.array([1, 0, 1])
    cap = np.array([1, 1, 0])
    g = graph(s)
    sol = solve_graph(g, dem, cap)
    c = sol.certificate
    pairs = zip(g.rows[sol.used].tolist(), g.col[sol.used].tolist(), strict=True)
    assert sorted(pairs) == [(0, 0), (2, 1)]
    red = c.mentee_potential[:, None] - c.mentor_potential[None, :] - s
    assert red[1].min() == pytest.approx(0.0, abs=1e-12)  # mentee 1 (demand 0): tight
    assert red[:, 2].min() == pytest.approx(0.0, abs=1e-12)  # mentor 2 (capacity 0): tight
    report = verify_certificate(as_assignment(g, sol.used, c), s, cap, dem)
    assert report.valid, report.reasons


@pytest.mark.parametrize("transposed", [False, True])
def test_a_warm_start_that_leaves_a_deficit_is_solved_again_from_scratch(transposed: bool) -> None:
    """The start holds the worse pair; freeing it leaves that slot's deficit unfilled (the
    freed unit prefers the better pair), so the kernel reports it and the graph is solved
    from an empty flow: the answer and its certificate are those of a cold solve."""
    # A third pair has a negative score: nothing frees its row, so a re-solve that routed only
    # freed rows would leave it out.
    if transposed:  # mentor 0 can take mentee 0 or 1, mentor 1 only mentee 2
        g = Graph(3, 2, np.array([0, 1, 2, 3]), np.array([0, 0, 1]), np.array([0.0, 10.0, -1.0]))
        dem, cap = np.array([1, 1, 1]), np.array([1, 1])
        warm = WarmStart(np.array([True, False, False]), np.zeros(3), np.zeros(2), 0.0, 0.0)
    else:  # mentee 0 can take mentor 0 or 1, mentee 1 only mentor 2
        g = Graph(2, 3, np.array([0, 2, 3]), np.array([0, 1, 2]), np.array([0.0, 10.0, -1.0]))
        dem, cap = np.array([1, 1]), np.array([1, 1, 1])
        warm = WarmStart(np.array([True, False, False]), np.zeros(2), np.zeros(3), 0.0, 0.0)
    sol = solve_graph(g, dem, cap, warm, transposed=transposed)
    cold = solve_graph(g, dem, cap, transposed=transposed)
    assert sol.used.tolist() == cold.used.tolist() == [False, True, True]
    assert sol.status == 0
    for c in ("mentee_potential", "mentor_potential", "reach_mentees", "reach_mentors"):
        np.testing.assert_array_equal(getattr(sol.certificate, c), getattr(cold.certificate, c))
    assert sol.certificate.source_potential == cold.certificate.source_potential
    assert sol.certificate.sink_potential == cold.certificate.sink_potential


@pytest.mark.parametrize("transposed", [False, True])
def test_prices_shifted_by_a_constant_are_the_same_start(transposed: bool) -> None:
    """Adding one constant to every price (sink and source included) changes no reduced cost
    and no node condition, so a warm start from such prices frees nothing either (beyond
    rounding: the shift is not exact in float64, hence ``tol``)."""
    rng = np.random.default_rng(8)
    s = np.round(rng.normal(size=(20, 6)), 3)
    g = graph(s)
    dem, cap = np.ones(20, np.int64), np.full(6, 2, np.int64)
    cold = solve_graph(g, dem, cap, transposed=transposed)
    c = cold.certificate
    k = 5.0
    warm = WarmStart(
        cold.used,
        c.mentee_potential + k,
        c.mentor_potential + k,
        c.source_potential + k,
        c.sink_potential + k,
    )
    again = solve_graph(g, dem, cap, warm, transposed=transposed, tol=1e-9)
    assert again.stats[FREED] == 0 and again.status == 0
    np.testing.assert_array_equal(again.used, cold.used)
    if transposed:  # every mentor is saturated: no exchange cycle moves the prices
        assert again.certificate.source_potential == pytest.approx(c.source_potential + k)
        assert again.certificate.sink_potential == pytest.approx(c.sink_potential + k)

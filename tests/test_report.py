"""The HTML report: what it shows, self-contained, deterministic, escaped (XSS), bounded in
size, and written by ``matchsvc report`` and ``GET /jobs/{id}/report``.

The browser test (it renders, the charts are visible, no console errors) is in
``test_report_browser.py``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchsvc import schemas
from matchsvc.api import create_app
from matchsvc.cli import create_cli
from matchsvc.config import Settings
from matchsvc.report import COLOURS, TABLE_ROWS, render_report
from tests.fakes import FakeEncoder

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</style><script>alert(2)</script>",
    "' onmouseover='alert(3)",
    "]]><svg onload=alert(4)>",
]


def programme(evil: bool = False) -> dict[str, Any]:
    """Three regions (one under-served), two mentor organisations, a few left unmatched.

    With ``evil``, ids, attribute names and values, and skills carry script payloads.
    """
    tag = (lambda k: XSS[k % len(XSS)]) if evil else (lambda k: "")
    region = "region" + (XSS[0] if evil else "")
    mentees = []
    for i in range(24):
        r = ["north", "south", "east"][i % 3] + (tag(i) if i % 3 == 0 else "")
        skills = [f"k{i % 4}"] if i % 3 != 1 else [f"k{i % 4}", "k9"]
        mentees.append({"id": f"e{i}{tag(i)}", "skills": skills, "attributes": {region: r}})
    mentors = [
        {"id": f"m{j}{tag(j)}", "skills": ["k0", "k1", "k2", "k3"], "capacity": 2,
         "attributes": {"org": "ab"[j % 2] + tag(j)}}
        for j in range(8)
    ]  # fmt: skip
    if evil:
        mentees[0]["skills"] = [XSS[1]]
    return {
        "mentees": mentees,
        "mentors": mentors,
        "options": {"weights": {"skills": 1.0}},
        "attributes": [region, "org"],
    }


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("report"))
    with TestClient(create_app(settings, encoder=FakeEncoder())) as test_client:
        yield test_client


def build_report(
    client: TestClient, *, evil: bool = False, fairness: bool = True, title: str = ""
) -> str:
    """The report of a match of :func:`programme` (with a fairness floor on region)."""
    body = programme(evil)
    options = dict(body["options"])
    if fairness:
        options["fairness"] = [{"attribute": body["attributes"][0], "min_matched_share": 0.5}]
    people = {"mentees": body["mentees"], "mentors": body["mentors"], "options": options}
    matched = client.post("/match", json=people)
    assert matched.status_code == 200, matched.text
    history = [
        {"mentee_id": body["mentees"][0]["id"], "mentor_id": body["mentors"][0]["id"],
         "start": "2025-01-10", "end": "2025-03-01", "end_reason": "bad_outcome",
         "ratings": [{"date": "2025-01-20", "rating": 2}, {"date": "2025-02-25", "rating": 3}]},
        {"mentee_id": body["mentees"][0]["id"], "mentor_id": body["mentors"][1]["id"],
         "start": "2025-03-05", "ratings": [{"date": "2025-03-20", "rating": 4},
                                            {"date": "2025-05-01", "rating": 5}]},
    ]  # fmt: skip
    audited = client.post(
        "/audit",
        json={
            **people,
            "match": matched.json(),
            "attributes": body["attributes"],
            "history": history,
        },
    )
    assert audited.status_code == 200, audited.text
    return render_report(
        schemas.AuditResponse.model_validate(audited.json()),
        schemas.MatchResponse.model_validate(matched.json()),
        title=title,
    )


class _Tags(HTMLParser):
    """Every start tag and its attributes, and the text, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "div",
    "span", "b", "i", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "br", "footer",
    "svg", "rect", "line", "path", "text", "polyline", "circle",
}  # fmt: skip


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_the_report_shows_the_summary_groups_charts_and_explanations(client: TestClient) -> None:
    html = build_report(client, title="Spring cohort")
    parsed = _parse(html)
    text = " ".join(parsed.text)
    charts = [dict(a)["data-chart"] for tag, a in parsed.tags if tag == "svg"]
    assert charts.count("share") == 1  # region only: org is a mentor attribute (a table)
    assert {"scores", "load", "utilisation", "ratings", "explanation"} <= set(charts)
    for heading in ("Flags", "Groups", "Fairness floors", "Scores", "Mentor loads",
                    "Unmatched mentees", "Example explanations", "History"):  # fmt: skip
        assert f">{heading}</h2>" in html
    assert "<h1>Spring cohort</h1>" in html and "Mentees by region" in text
    assert "Mentors by org" in text and "Cost of fairness" in text
    assert re.search(r"\d+ of 24 mentee slots matched", text)
    assert "How to read this report" in text


def test_the_same_input_gives_the_same_bytes(client: TestClient) -> None:
    assert build_report(client) == build_report(client)


def test_every_user_string_is_escaped(client: TestClient) -> None:
    html = build_report(client, evil=True, title=XSS[2])
    parsed = _parse(html)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    attributes = {name for _, attrs in parsed.tags for name, _ in attrs}
    assert not {a for a in attributes if a.startswith("on")}
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    for payload in XSS:
        assert payload not in html
    text = "".join(parsed.text)
    assert "e0<script>alert(1)</script>" in text  # shown to the reader as text
    assert 'm1"><img src=x onerror=alert(1)>' in text


def test_the_report_loads_nothing_and_runs_nothing(client: TestClient) -> None:
    html = build_report(client)
    parsed = _parse(html)
    for _, attrs in parsed.tags:
        names = {name for name, _ in attrs}
        assert not names & {"src", "href", "xlink:href", "action", "srcset"}
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    assert "url(" not in html and "@import" not in html
    csp = next(dict(a)["content"] for tag, a in parsed.tags if tag == "meta" and
               dict(a).get("http-equiv") == "Content-Security-Policy")  # fmt: skip
    assert csp is not None and csp.startswith("default-src 'none'")


def _audit_with_groups(groups: int) -> schemas.AuditResponse:
    group = {
        "attribute": "city", "value": "x", "people": 2, "demand": 2, "matched": 1,
        "people_matched": 1, "matched_share": 0.5, "share_interval": [0.1, 0.9], "pairs": 1,
        "mean_score": 0.5, "min_score": 0.5, "bottom_decile_score": 0.5,
        "top_choice_share": 1.0, "top_choice_base": 1,
        "unmatched_reasons": {"capacity_exhausted": 1}, "share_ratio": 0.5,
        "score_ratio": 1.0, "share_flag": True, "score_flag": False, "share_robust": False,
        "caution": True, "caution_reason": "fewer than 30 slots",
    }  # fmt: skip
    return schemas.AuditResponse.model_validate(
        {
            "mentees": 2 * groups,
            "mentors": 1000,
            "demand": 2 * groups,
            "matched": groups,
            "matched_share": 0.5,
            "unmatched_reasons": {"capacity_exhausted": groups},
            "groups": [{**group, "value": f"city-{k:05d}"} for k in range(groups)],
            "mentor_groups": [],
            "mentor_load": {
                "mentors": 1000,
                "capacity": 10**6,
                "load": groups,
                "utilisation": 0.01,
                "gini": 0.5,
                "full": 1,
                "idle": 10,
                "load_counts": [1] * 5000,
                "utilisation_edges": [k / 10 for k in range(11)],
                "utilisation_counts": [100] * 10,
            },
            "scores": {
                "count": groups,
                "mean": 0.5,
                "minimum": 0.1,
                "p10": 0.2,
                "median": 0.5,
                "p90": 0.8,
                "maximum": 0.9,
                "bin_edges": [k / 100 for k in range(101)],
                "counts": [k for k in range(100)],
            },
            "history": None,
            "four_fifths": 0.8,
            "min_group_size": 30,
        }
    )


def test_the_size_is_bounded_however_many_groups() -> None:
    html = render_report(_audit_with_groups(5000), None)
    assert html.count('<tr class="flagged">') == TABLE_ROWS
    assert f"{5000 - TABLE_ROWS} more groups are in the JSON audit" in html
    assert "The chart shows the first 40 of 5000 groups" in html
    assert html.count("<rect") < 400  # 40 share bars, 100 score bins, load buckets, ...
    assert len(html.encode()) < 2_000_000


def test_colours_of_the_charts_are_distinct() -> None:
    assert len(set(COLOURS.values())) == len(COLOURS)


# ---------------------------------------------------------------- the doors


def _files(tmp_path: Path, body: dict[str, Any]) -> list[str]:
    args = []
    for key in ("mentees", "mentors", "options"):
        path = tmp_path / f"{key}.json"
        path.write_text(json.dumps(body[key]))
        args.append(f"--{key}={path}")
    return args


def test_the_cli_report_matches_then_reports_and_is_deterministic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    body = programme()
    cli = create_cli(encoder=FakeEncoder())
    outs = []
    for k in range(2):
        out = tmp_path / f"report{k}.html"
        args = [*_files(tmp_path, body), "--attributes=region, org", f"--out={out}"]
        result = CliRunner().invoke(cli, ["report", *args, "--title=Spring"])
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    html = outs[0].decode()
    assert "<h1>Spring</h1>" in html and "Mentees by region" in html
    assert 'data-chart="explanation"' in html  # the match was run here, explanations too


def test_the_cli_report_of_a_match_file_and_of_pairs(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    body = programme()
    people = {k: body[k] for k in ("mentees", "mentors", "options")}
    result = client.post("/match", json=people).json()
    (tmp_path / "match.json").write_text(json.dumps(result))
    pairs = "mentee_id,mentor_id\n" + "".join(
        f"{m['mentee_id']},{m['mentor_id']}\n" for m in result["matches"]
    )
    (tmp_path / "pairs.csv").write_text(pairs)
    cli = create_cli(encoder=FakeEncoder())
    common = [*_files(tmp_path, body), "--attributes=region"]
    by_match = CliRunner().invoke(
        cli,
        ["report", *common, f"--match={tmp_path / 'match.json'}", f"--out={tmp_path / 'a.html'}"],
    )
    assert by_match.exit_code == 0, by_match.output
    assert result["matches"][0]["explanation"]["summary"].split(";")[0] in (
        tmp_path / "a.html"
    ).read_text().replace("&#x27;", "'")
    by_pairs = CliRunner().invoke(
        cli,
        ["report", *common, f"--pairs={tmp_path / 'pairs.csv'}", f"--out={tmp_path / 'b.html'}"],
    )
    assert by_pairs.exit_code == 0, by_pairs.output
    assert "no explanations" in (tmp_path / "b.html").read_text()
    both = CliRunner().invoke(
        cli,
        ["report", *common, f"--match={tmp_path / 'match.json'}",
         f"--pairs={tmp_path / 'pairs.csv'}", f"--out={tmp_path / 'c.html'}"],
    )  # fmt: skip
    assert both.exit_code == 2 and "not both" in both.stderr
    wrong = CliRunner().invoke(cli, ["report", *common, f"--out={tmp_path / 'r.txt'}"])
    assert wrong.exit_code == 2 and "use .html" in wrong.stderr
    unknown = CliRunner().invoke(
        cli,
        ["report", *_files(tmp_path, body), "--attributes=nope", f"--out={tmp_path / 'd.html'}"],
    )
    assert unknown.exit_code == 2 and "--attributes (attributes[0])" in unknown.stderr
    assert not any((tmp_path / name).exists() for name in ("c.html", "r.txt", "d.html"))


def _wait(client: TestClient, job_id: str) -> dict[str, Any]:
    for _ in range(400):
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.025)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_match_job_has_a_report(client: TestClient) -> None:
    body = programme()
    people = {k: body[k] for k in ("mentees", "mentors", "options")}
    job = _wait(
        client, client.post("/jobs", json={"kind": "match", "payload": people}).json()["id"]
    )
    response = client.get(f"/jobs/{job['id']}/report", params={"attributes": "region,org"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Mentees by region" in html and "Mentors by org" in html
    assert f"Matching report of job {job['id']}" in html
    repeated = client.get(
        f"/jobs/{job['id']}/report", params=[("attributes", "region"), ("attributes", "org")]
    )
    assert repeated.text == html
    unknown = client.get(f"/jobs/{job['id']}/report", params={"attributes": "nope"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "attributes[0]"
    # a name longer than an attribute name may be (the fuzzer's 500), and too many names
    long = client.get(f"/jobs/{job['id']}/report", params={"attributes": "region," + "a" * 101})
    assert long.status_code == 422, long.text
    assert long.json()["errors"][0]["field"] == "attributes[1]"
    many = client.get(
        f"/jobs/{job['id']}/report", params={"attributes": ",".join("abcdefghijklmnopq")}
    )
    assert many.status_code == 413, many.text
    assert many.json()["errors"][0]["field"] == "attributes"
    assert client.get("/jobs/no-such-job/report").status_code == 404


def test_only_a_match_job_has_a_report(client: TestClient) -> None:
    body = programme()
    audit_body = {
        "mentees": body["mentees"], "mentors": body["mentors"], "options": body["options"],
        "pairs": [], "attributes": ["region"],
    }  # fmt: skip
    job = _wait(
        client, client.post("/jobs", json={"kind": "audit", "payload": audit_body}).json()["id"]
    )
    response = client.get(f"/jobs/{job['id']}/report")
    assert response.status_code == 409
    assert f"job {job['id']} is of kind 'audit'" in response.json()["detail"]


def test_an_unfinished_job_has_no_report_yet(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, job_debug_delay_seconds=30)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as slow:
        body = programme()
        people = {k: body[k] for k in ("mentees", "mentors", "options")}
        job_id = slow.post("/jobs", json={"kind": "match", "payload": people}).json()["id"]
        response = slow.get(f"/jobs/{job_id}/report")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:matchsvc:problem:job-not-finished"
        slow.delete(f"/jobs/{job_id}")


def test_a_missing_facet_reads_missing_in_the_examples(client: TestClient) -> None:
    # Default weights and no goals or communication anywhere: both facets are missing.
    people = {
        "mentees": [{"id": f"e{i}", "skills": [f"k{i % 3}"]} for i in range(6)],
        "mentors": [{"id": f"m{j}", "skills": ["k0", "k1", "k2"], "capacity": 3} for j in range(2)],
    }
    matched = client.post("/match", json=people)
    assert matched.status_code == 200, matched.text
    audited = client.post("/audit", json={**people, "match": matched.json()})
    assert audited.status_code == 200, audited.text
    html = render_report(
        schemas.AuditResponse.model_validate(audited.json()),
        schemas.MatchResponse.model_validate(matched.json()),
    )
    assert "goals missing × 0.30" in html and "communication missing × 0.20" in html


def test_a_result_an_earlier_version_stored_is_a_conflict_not_a_500(tmp_path: Path) -> None:
    import sqlite3

    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        body = programme()
        people = {k: body[k] for k in ("mentees", "mentors", "options")}
        job = _wait(
            client, client.post("/jobs", json={"kind": "match", "payload": people}).json()["id"]
        )
        old = json.loads(client.get(f"/jobs/{job['id']}/result").text)
        for match in old["matches"]:
            del match["coverage"]  # a field this version's matches always have
        db = sqlite3.connect(tmp_path / "jobs.sqlite3")
        with db:
            db.execute(
                "UPDATE jobs SET result = ? WHERE id = ?", (json.dumps(old).encode(), job["id"])
            )
        db.close()
        response = client.get(f"/jobs/{job['id']}/report", params={"attributes": "region"})
    assert response.status_code == 409
    assert "earlier version" in response.json()["detail"]

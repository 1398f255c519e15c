"""The ``matchsvc`` command line: ``serve`` the HTTP API, ``match``/``recommend``/``rematch``/``learn``
/``audit`` files, pair or group a pool of peers (``peer match``, ``peer circles``), write a match's
HTML ``report``, or ``forget`` people's cached embeddings.

File commands read people from CSV, JSON or JSONL (by extension; see :mod:`matchsvc.fileio`),
validate them with the shared request models, call the same :mod:`matchsvc.service` function
as the HTTP route, and write the response atomically. So ``matchsvc match`` answers exactly what
``POST /match`` answers for the same people and options.

Exit status: 0 done, 2 bad input or settings (one ``matchsvc: <where>: <message>`` line per
problem on stderr, nothing written). Progress is shown on stderr only when it is a terminal.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from matchsvc.errors import ConfigError, MatchsvcError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from rich.progress import Progress

    from matchsvc.config import Settings
    from matchsvc.engine import Engine
    from matchsvc.fileio import Format, RequestFiles
    from matchsvc.scoring.encoder import Encoder

__all__ = ["app", "create_cli"]

EXIT_INVALID = 2

R = TypeVar("R")

PEOPLE_HELP = """\
People files: .csv, .json or .jsonl (by extension). JSON: an array of the API's Profile
objects; JSONL: one Profile per line. CSV: a header, then one person per row with columns
id, skills, goals, style, channels, languages, timezone, availability, frequency, capacity,
demand, exclude and attr.<name>. Lists (skills, channels, languages, exclude) are
';'-separated; availability is e.g. 'mon 09:00-12:00;wed 14:00-17:00' in the person's time
zone; an attr.<name> cell is a number, true/false, a ';' list, or text. Empty cells take the
API defaults.
"""

# The options several commands share (typer reads the help from the annotation).
MenteesFile = Annotated[Path, typer.Option(help="Mentees file (.csv, .json, .jsonl).")]
MentorsFile = Annotated[
    Path, typer.Option(help="Mentors file (.csv, .json, .jsonl); capacity = mentees each takes.")
]
OptionsFile = Annotated[
    Path | None,
    typer.Option(
        help="Options (.json): the API's options object (weights, criteria, min_score...)."
    ),
]
ResultFile = Annotated[Path, typer.Option(help="Result file (.json, .jsonl, .csv).")]
PoolFile = Annotated[
    Path, typer.Option(help="The pool (.csv, .json, .jsonl); exclude names others of the pool.")
]
PeerOptionsFile = Annotated[
    Path | None,
    typer.Option(
        help="Options (.json): the API's peer options (weights, criteria, mutual, min_score, "
        "...; circles also min_size, max_size, seed)."
    ),
]
MatchFile = Annotated[Path | None, typer.Option(help="A POST /match response body (.json).")]
PairsFile = Annotated[Path | None, typer.Option(help="Or the pairs: mentee_id, mentor_id records.")]
HistoryFile = Annotated[Path | None, typer.Option(help="Past pairs (.csv, .json, .jsonl).")]
Attributes = Annotated[
    str, typer.Option(help="Attributes to group by, comma-separated (region,gender).")
]


class _Stages:
    """One rich progress line per stage on a terminal's stderr; does nothing otherwise."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    @contextmanager
    def stage(self, description: str) -> Iterator[None]:
        """Show ``description`` with a spinner while the block runs, then mark it done."""
        if self._progress is None:
            yield
            return
        task = self._progress.add_task(description, total=1)
        try:
            yield
        finally:
            self._progress.update(task, completed=1)


@contextmanager
def _stages(enabled: bool) -> Iterator[_Stages]:
    if not enabled:
        yield _Stages(None)
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield _Stages(None)
        return
    with Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        yield _Stages(progress)


class _ProgressEncoder:
    """An encoder that shows each ``encode`` call (new texts only: the cache answers the rest)
    as an "Embedding" stage. Passes ``model_id`` through, so embedding caches are shared with
    the server."""

    def __init__(self, inner: Encoder, stages: _Stages) -> None:
        self._inner = inner
        self._stages = stages

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dim(self) -> int:
        return self._inner.dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._stages.stage(f"Embedding {len(texts)} new texts"):
            return self._inner.encode(texts)


def _engine(settings: Settings, encoder: Encoder | None, stages: _Stages) -> Engine:
    """An Engine on ``encoder``, or on the configured model loaded now (raises ConfigError)."""
    from matchsvc.engine import Engine

    if encoder is None:
        from matchsvc.engine import build_encoder

        os.environ["HF_HUB_OFFLINE"] = "1"
        with stages.stage("Loading the embedding model"):
            encoder = build_encoder(settings)
    return Engine(settings, _ProgressEncoder(encoder, stages))


def _fail(lines: Sequence[str]) -> typer.Exit:
    for line in lines:
        typer.echo(f"matchsvc: {line}", err=True)
    return typer.Exit(EXIT_INVALID)


def _run_file_command(
    encoder: Encoder | None,
    out: Path,
    read: Callable[[RequestFiles], R],
    run: Callable[[Engine, R, Format], str],
    describe: str,
    formats: tuple[Format, ...] = ("csv", "json", "jsonl"),
) -> None:
    """Check ``out``, read and validate inputs, build the engine, run, write atomically.

    Args:
        encoder: the encoder to use, or None to load the configured model.
        out: the result file; its extension picks the format.
        read: fills the given :class:`RequestFiles` and returns the validated request model.
        run: request -> the result file's text (calls one ``service`` function).
        describe: what ``run`` does, for the progress line.
        formats: the output formats this command writes.

    Every check that needs no model runs before the model loads; nothing is written unless the
    whole run succeeds. Raises ``typer.Exit(2)`` after printing each problem.
    """
    from matchsvc.config import load_settings
    from matchsvc.fileio import RequestFiles, check_output, write_atomic

    files = RequestFiles()
    try:
        fmt = check_output(out, allowed=formats)
        request = read(files)
        settings = load_settings()
        with _stages(sys.stderr.isatty()) as stages:
            engine = _engine(settings, encoder, stages)
            with stages.stage(describe):
                text = run(engine, request, fmt)
        write_atomic(out, text)
    except ConfigError as exc:
        raise _fail([exc.message]) from exc
    except MatchsvcError as exc:
        raise _fail(files.describe(exc)) from exc
    except OSError as exc:
        raise _fail([f"{out}: cannot write: {exc.strerror}"]) from exc


def _add_people(
    files: RequestFiles, mentees: Path, mentors: Path, options: Path | None
) -> RequestFiles:
    from matchsvc.fileio import read_object, read_people

    files.add_file("mentees", read_people(mentees, "mentees"))
    files.add_file("mentors", read_people(mentors, "mentors"))
    if options is not None:
        files.add_object("options", options, read_object(options))
    return files


def match_files(
    encoder: Encoder | None, mentees: Path, mentors: Path, options: Path | None, out: Path
) -> None:
    """``matchsvc match``: the files -> ``MatchRequest`` -> ``service.run_match`` -> ``out``."""
    from matchsvc import schemas, service
    from matchsvc.fileio import render_match

    def read(files: RequestFiles) -> schemas.MatchRequest:
        return _add_people(files, mentees, mentors, options).validate(schemas.MatchRequest)

    def run(engine: Engine, request: schemas.MatchRequest, fmt: Format) -> str:
        return render_match(service.run_match(engine, request), fmt)

    _run_file_command(encoder, out, read, run, "Matching")


def recommend_files(
    encoder: Encoder | None,
    mentees: Path,
    mentors: Path,
    options: Path | None,
    out: Path,
    *,
    top_n: int,
    include_full: bool,
) -> None:
    """``matchsvc recommend``: the files -> ``RecommendRequest`` -> ``service.run_recommend``."""
    from matchsvc import schemas, service
    from matchsvc.fileio import render_recommend

    def read(files: RequestFiles) -> schemas.RecommendRequest:
        _add_people(files, mentees, mentors, options)
        files.add_flag("top_n", "--top-n", top_n)
        files.add_flag("only_available", "--include-full", not include_full)
        return files.validate(schemas.RecommendRequest)

    def run(engine: Engine, request: schemas.RecommendRequest, fmt: Format) -> str:
        return render_recommend(service.run_recommend(engine, request), fmt)

    _run_file_command(encoder, out, read, run, "Ranking")


def rematch_files(
    encoder: Encoder | None,
    mentees: Path,
    mentors: Path,
    current: Path,
    history: Path | None,
    policy: Path | None,
    options: Path | None,
    out: Path,
) -> None:
    """``matchsvc rematch``: the files -> ``RematchRequest`` -> ``service.run_rematch``."""
    from matchsvc import schemas, service
    from matchsvc.fileio import read_object, read_records, render_rematch

    def read(files: RequestFiles) -> schemas.RematchRequest:
        _add_people(files, mentees, mentors, options)
        files.add_file("current", read_records(current, schemas.CurrentPairIn))
        if history is not None:
            files.add_file("history", read_records(history, schemas.PastPairIn))
        if policy is not None:
            files.add_object("policy", policy, read_object(policy))
        return files.validate(schemas.RematchRequest)

    def run(engine: Engine, request: schemas.RematchRequest, fmt: Format) -> str:
        return render_rematch(service.run_rematch(engine, request), fmt)

    _run_file_command(encoder, out, read, run, "Re-matching")


def learn_files(
    encoder: Encoder | None,
    mentees: Path,
    mentors: Path,
    history: Path,
    declined: Path | None,
    options: Path | None,
    out: Path,
    *,
    seed: int,
    calibrate: bool,
) -> None:
    """``matchsvc learn``: the files -> ``LearnRequest`` -> ``service.run_learn`` -> ``out``."""
    from matchsvc import schemas, service
    from matchsvc.fileio import read_records, render_learn

    def read(files: RequestFiles) -> schemas.LearnRequest:
        _add_people(files, mentees, mentors, options)
        files.add_file("history", read_records(history, schemas.FeedbackIn))
        if declined is not None:
            files.add_file("declined", read_records(declined, schemas.DeclinedPair))
        files.add_flag("seed", "--seed", seed)
        files.add_flag("calibrate", "--calibrate", calibrate)
        return files.validate(schemas.LearnRequest)

    def run(engine: Engine, request: schemas.LearnRequest, fmt: Format) -> str:
        return render_learn(service.run_learn(engine, request))

    _run_file_command(encoder, out, read, run, "Learning weights", formats=("json",))


def _add_audit_inputs(
    files: RequestFiles,
    match: Path | None,
    pairs: Path | None,
    history: Path | None,
    attributes: str,
) -> None:
    from matchsvc import schemas
    from matchsvc.fileio import read_object, read_records

    if match is not None:
        files.add_object("match", match, read_object(match))
    if pairs is not None:
        files.add_file("pairs", read_records(pairs, schemas.PairIn))
    if history is not None:
        files.add_file("history", read_records(history, schemas.HistoryPairIn))
    names = [name.strip() for name in attributes.split(",") if name.strip()]
    files.add_flag("attributes", "--attributes", names)


def audit_files(
    encoder: Encoder | None,
    mentees: Path,
    mentors: Path,
    match: Path | None,
    pairs: Path | None,
    history: Path | None,
    options: Path | None,
    attributes: str,
    out: Path,
    *,
    four_fifths: float,
    min_group_size: int,
) -> None:
    """``matchsvc audit``: the files -> ``AuditRequest`` -> ``service.run_audit`` -> ``out``."""
    from matchsvc import schemas, service
    from matchsvc.fileio import render_audit

    def read(files: RequestFiles) -> schemas.AuditRequest:
        _add_people(files, mentees, mentors, options)
        _add_audit_inputs(files, match, pairs, history, attributes)
        files.add_flag("four_fifths", "--four-fifths", four_fifths)
        files.add_flag("min_group_size", "--min-group-size", min_group_size)
        request = files.validate(schemas.AuditRequest)
        request.audited_pairs()  # neither or both: refused before the model loads
        return request

    def run(engine: Engine, request: schemas.AuditRequest, fmt: Format) -> str:
        return render_audit(service.run_audit(engine, request))

    _run_file_command(encoder, out, read, run, "Auditing", formats=("json",))


def report_file(
    encoder: Encoder | None,
    mentees: Path,
    mentors: Path,
    match: Path | None,
    pairs: Path | None,
    history: Path | None,
    options: Path | None,
    attributes: str,
    out: Path,
    *,
    title: str,
) -> None:
    """``matchsvc report``: the audit of a match (given, or run now) as one HTML file."""
    from matchsvc import schemas, service

    def read(files: RequestFiles) -> schemas.AuditRequest:
        _add_people(files, mentees, mentors, options)
        _add_audit_inputs(files, match, pairs, history, attributes)
        request = files.validate(schemas.AuditRequest)
        if match is not None and pairs is not None:
            request.audited_pairs()  # both: refused before the model loads
        return request

    def run(engine: Engine, request: schemas.AuditRequest, fmt: Format) -> str:
        return service.run_report(engine, request, title=title)

    _run_file_command(encoder, out, read, run, "Reporting", formats=("html",))


def peer_files(
    encoder: Encoder | None,
    people: Path,
    leaders: Path | None,
    options: Path | None,
    out: Path,
    *,
    circles: bool,
) -> None:
    """``matchsvc peer match|circles``: the files -> ``PeerMatchRequest`` or
    ``PeerCirclesRequest`` -> ``service.run_peer_match``/``run_peer_circles`` -> ``out``."""
    from matchsvc import schemas, service
    from matchsvc.fileio import read_object, read_people, render_peer_circles, render_peer_match

    def add(files: RequestFiles) -> RequestFiles:
        files.add_file("people", read_people(people, "people"))
        if leaders is not None:
            files.add_file("leaders", read_people(leaders, "leaders"))
        if options is not None:
            files.add_object("options", options, read_object(options))
        return files

    if circles:

        def read_circles(files: RequestFiles) -> schemas.PeerCirclesRequest:
            return add(files).validate(schemas.PeerCirclesRequest)

        def run_circles(engine: Engine, request: schemas.PeerCirclesRequest, fmt: Format) -> str:
            return render_peer_circles(service.run_peer_circles(engine, request), fmt)

        _run_file_command(encoder, out, read_circles, run_circles, "Forming circles")
        return

    def read_pairs(files: RequestFiles) -> schemas.PeerMatchRequest:
        return add(files).validate(schemas.PeerMatchRequest)

    def run_pairs(engine: Engine, request: schemas.PeerMatchRequest, fmt: Format) -> str:
        return render_peer_match(service.run_peer_match(engine, request), fmt)

    _run_file_command(encoder, out, read_pairs, run_pairs, "Pairing")


def forget_file(people: Path) -> None:
    """``matchsvc forget``: the people file -> their texts' keys -> deleted from the cache file.

    Loads no model. Prints what was removed on stdout; exit 2 on a bad file or settings.
    """
    from matchsvc.config import load_settings
    from matchsvc.engine import CACHE_FILE
    from matchsvc.fileio import RequestFiles, read_people
    from matchsvc.privacy import forget_people
    from matchsvc.schemas import ForgetRequest

    files = RequestFiles()
    try:
        files.add_file("people", read_people(people, "people"))
        request = files.validate(ForgetRequest)
        settings = load_settings()
        done = forget_people(settings, [p.to_core() for p in request.people])
    except ConfigError as exc:
        raise _fail([exc.message]) from exc
    except MatchsvcError as exc:
        raise _fail(files.describe(exc)) from exc
    if not settings.embedding_cache:
        typer.echo(
            "the embedding cache is off (MATCHSVC_EMBEDDING_CACHE=false): no embeddings are "
            "stored, none removed"
        )
        return
    typer.echo(
        f"removed {done.removed} cached embeddings of {done.texts} texts of {done.people} "
        f"people from {settings.data_dir / CACHE_FILE}"
    )


def create_cli(*, encoder: Encoder | None = None) -> typer.Typer:
    """Build the command line. ``encoder`` replaces the configured model (tests pass a fake),
    as in :func:`matchsvc.api.create_app`."""
    cli = typer.Typer(
        help="matchsvc: explained, exact mentee-mentor matching.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )

    @cli.callback()
    def main(
        ray: Annotated[
            str | None,
            typer.Option(
                "--ray",
                metavar="ADDRESS",
                help="Run batch work (embedding, the pricing solver's passes) on this Ray "
                "cluster: any address ray.init accepts, e.g. local or ray://head:10001. The "
                "same as MATCHSVC_RAY_ADDRESS; needs `pip install 'matchsvc[ray]'`.",
            ),
        ] = None,
    ) -> None:
        """matchsvc command line."""
        if ray is not None:
            os.environ["MATCHSVC_RAY_ADDRESS"] = ray

    @cli.command()
    def prepare() -> None:
        """Build what a first start would: the ONNX export of the model (into
        MATCHSVC_DATA_DIR/onnx) and the solvers' compiled code, so that `serve` is ready in
        seconds. `make install` runs it."""
        prepare_service()

    @cli.command()
    def serve(
        host: Annotated[
            str | None, typer.Option(help="Bind address (default MATCHSVC_HOST).")
        ] = None,
        port: Annotated[int | None, typer.Option(help="Port (default MATCHSVC_PORT).")] = None,
    ) -> None:
        """Run the HTTP service (model loads in the background; /readyz turns 200 when warm)."""
        serve_http(host, port)

    @cli.command(
        help=(
            "Match mentees to mentors exactly, with explanations; the same answer as POST "
            "/match.\n\n"
            + PEOPLE_HELP
            + "\nOutput by extension of --out: .json = the POST /match response body; .jsonl "
            "= one object per line with a 'type' (match, unmatched, mentor, summary); .csv = "
            "one row per match (mentee_id, mentor_id, score, contribution.<facet>..., "
            "summary), then one per unmatched mentee with unmatched_reason. Written "
            "atomically, only on success.\n\nExample: matchsvc match --mentees "
            "examples/mentees.csv --mentors examples/mentors.csv --options "
            "examples/options.json --out matches.csv"
        )
    )
    def match(
        mentees: MenteesFile,
        mentors: MentorsFile,
        out: ResultFile,
        options: OptionsFile = None,
    ) -> None:
        match_files(encoder, mentees, mentors, options, out)

    @cli.command(
        help=(
            "Each mentee's top N feasible mentors, best first, explained; the same answer as "
            "POST /recommend.\n\n"
            + PEOPLE_HELP
            + "\nOutput by extension of --out: .json = the POST /recommend response body; "
            ".jsonl = one recommendation per line (with mentee_id); .csv = mentee_id, rank, "
            "mentor_id, score, remaining_capacity, contribution.<facet>..., summary."
        )
    )
    def recommend(
        mentees: MenteesFile,
        mentors: MentorsFile,
        out: ResultFile,
        options: OptionsFile = None,
        top_n: Annotated[int, typer.Option(help="Mentors per mentee (1-100).")] = 5,
        include_full: Annotated[
            bool, typer.Option(help="Also suggest mentors with no capacity left.")
        ] = False,
    ) -> None:
        recommend_files(
            encoder, mentees, mentors, options, out, top_n=top_n, include_full=include_full
        )

    @cli.command(
        help=(
            "Re-match a running programme: keep the pairs that work, end those the policy "
            "ends, refill freed capacity, move as few people as possible; the same answer as "
            "POST /rematch.\n\n"
            + PEOPLE_HELP
            + "\n--current and --history are .csv, .json or .jsonl records. current: "
            "mentee_id, mentor_id, status (active|ended), mentee_rating, mentor_rating (1-5), "
            "goals_met (true|false), started_at (ISO date); history: mentee_id, mentor_id, "
            "outcome (good|neutral|bad), rating. --policy is the API's policy object (.json)."
            "\n\nOutput by extension of --out: .json = the POST /rematch response body; "
            ".jsonl = one object per line with a 'type' (action, mentor, summary); .csv = one "
            "row per action (mentee_id, action, from_mentor_id, to_mentor_id, reason, "
            "score_before, score_after, contribution.<facet>..., summary)."
        )
    )
    def rematch(
        mentees: MenteesFile,
        mentors: MentorsFile,
        current: Annotated[Path, typer.Option(help="Current pairs (.csv, .json, .jsonl).")],
        out: ResultFile,
        history: Annotated[
            Path | None, typer.Option(help="Past pairs and outcomes (.csv, .json, .jsonl).")
        ] = None,
        policy: Annotated[
            Path | None,
            typer.Option(help="Policy (.json): stability_bonus, locked, max_moves, ..."),
        ] = None,
        options: OptionsFile = None,
    ) -> None:
        rematch_files(encoder, mentees, mentors, current, history, policy, options, out)

    @cli.command(
        help=(
            "Fit the facet weights to the feedback on past pairs; the same answer as POST "
            "/learn. The weights come back ready for options.weights: the learned ones only "
            "when they rank held-out pairs better than the current ones (cross-validated, with "
            "bootstrap intervals), else the current ones with the reason.\n\n"
            + PEOPLE_HELP
            + "\n--history is .csv, .json or .jsonl records: mentee_id, mentor_id, outcome "
            "(good|neutral|bad), rating, mentee_rating, mentor_rating (1-5), each optional; "
            "--declined: mentee_id, mentor_id of proposals that were declined. --options holds "
            "the current weights.\n\nOutput (.json): the POST /learn response body."
        )
    )
    def learn(
        mentees: MenteesFile,
        mentors: MentorsFile,
        history: Annotated[
            Path, typer.Option(help="Past pairs and feedback (.csv, .json, .jsonl).")
        ],
        out: Annotated[Path, typer.Option(help="Result file (.json).")],
        declined: Annotated[
            Path | None, typer.Option(help="Declined proposals (.csv, .json, .jsonl).")
        ] = None,
        options: OptionsFile = None,
        seed: Annotated[int, typer.Option(help="Seed of folds, samples and bootstrap.")] = 0,
        calibrate: Annotated[
            bool, typer.Option(help="Also report P(ends well) per score band.")
        ] = False,
    ) -> None:
        learn_files(
            encoder, mentees, mentors, history, declined, options, out,
            seed=seed, calibrate=calibrate,
        )  # fmt: skip

    @cli.command(
        help=(
            "Audit a match: per group of each attribute, matched share, mean, lowest and "
            "bottom-decile score, top-choice share, unmatched reasons and the four-fifths "
            "flags with interval-based cautions; mentor loads (utilisation, Gini), the score "
            "distribution and, with --history, re-match, end and rating figures. The same "
            "answer as POST /audit.\n\n"
            + PEOPLE_HELP
            + "\n--match is a POST /match response body (.json, e.g. matchsvc match's .json "
            "output); or --pairs: .csv, .json or .jsonl records with mentee_id, mentor_id. "
            "--history: records with mentee_id, mentor_id, start, end (YYYY-MM-DD), "
            "end_reason (goals_met|policy|bad_outcome|rematch|other), outcome "
            "(good|neutral|bad) and, in .json/.jsonl, ratings [{date, rating}]. --options: the "
            "options the match ran with (scores and feasibility are recomputed with them)."
            "\n\nOutput (.json): the POST /audit response body.\n\nExample: matchsvc audit "
            "--mentees examples/mentees.csv --mentors examples/mentors.csv --match "
            "matches.json --attributes organization --out audit.json"
        )
    )
    def audit(
        mentees: MenteesFile,
        mentors: MentorsFile,
        out: Annotated[Path, typer.Option(help="Result file (.json).")],
        match: MatchFile = None,
        pairs: PairsFile = None,
        history: HistoryFile = None,
        options: OptionsFile = None,
        attributes: Attributes = "",
        four_fifths: Annotated[
            float, typer.Option(help="Flag groups below this ratio to the best group.")
        ] = 0.8,
        min_group_size: Annotated[
            int, typer.Option(help="Flags on fewer slots than this carry a caution.")
        ] = 30,
    ) -> None:
        audit_files(
            encoder, mentees, mentors, match, pairs, history, options, attributes, out,
            four_fifths=four_fifths, min_group_size=min_group_size,
        )  # fmt: skip

    @cli.command(
        help=(
            "Write one self-contained HTML report of a match: summary, flagged groups, a "
            "chart and a table per attribute, the fairness floors and their cost, score and "
            "mentor-load distributions, unmatched reasons with examples, example "
            "explanations and, with --history, the programme's history. Charts are inline "
            "SVG; the file has no script and loads nothing.\n\n"
            + PEOPLE_HELP
            + "\nWith --match (a POST /match response body, .json) or --pairs, that match is "
            "reported; without either, the people are matched now with --options. Other "
            "inputs as for matchsvc audit.\n\nExample: matchsvc report --mentees "
            "examples/mentees.csv --mentors examples/mentors.csv --options "
            "examples/options.json --attributes organization --out report.html"
        )
    )
    def report(
        mentees: MenteesFile,
        mentors: MentorsFile,
        out: Annotated[Path, typer.Option(help="Report file (.html).")],
        match: MatchFile = None,
        pairs: PairsFile = None,
        history: HistoryFile = None,
        options: OptionsFile = None,
        attributes: Attributes = "",
        title: Annotated[str, typer.Option(help="The report's heading.")] = "",
    ) -> None:
        report_file(
            encoder, mentees, mentors, match, pairs, history, options, attributes, out,
            title=title,
        )  # fmt: skip

    peer = typer.Typer(
        help="Peers: one pool matched within itself, in exact pairs or in circles.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    cli.add_typer(peer, name="peer")

    @peer.command(
        "match",
        help=(
            "Pair a pool of peers exactly: the most pairs, then the largest total mutual score "
            "(each pair's two fits combined by options.mutual, mean or min), with a certificate "
            "of optimality; the same answer as POST /peer/match.\n\n"
            + PEOPLE_HELP
            + "\nOutput by extension of --out: .json = the POST /peer/match response body; "
            ".jsonl = one object per line with a 'type' (pair, unmatched, summary); .csv = one "
            "row per pair (person_id, partner_id, score, fit, partner_fit, rank, partner_rank, "
            "skill_pairs, partner_skill_pairs, shared_languages, overlap_hours, summary), then "
            "one per unmatched person with unmatched_reason.\n\nExample: matchsvc peer match "
            "--people examples/peers.csv --out pairs.csv"
        ),
    )
    def peer_match(
        people: PoolFile,
        out: ResultFile,
        options: PeerOptionsFile = None,
    ) -> None:
        peer_files(encoder, people, None, options, out, circles=False)

    @peer.command(
        "circles",
        help=(
            "Split a pool of peers into circles of options.min_size..max_size (default 3-5), "
            "maximising the sum of within-circle mutual scores, optionally each led by one of "
            "--leaders (capacity = circles each may lead); reports a proven upper bound and "
            "the gap to it. The same answer as POST /peer/circles.\n\n"
            + PEOPLE_HELP
            + "\nOutput by extension of --out: .json = the POST /peer/circles response body; "
            ".jsonl = one object per line with a 'type' (circle, unmatched, summary); .csv = "
            "one row per circle member (circle, leader_id, circle_score, person_id, "
            "strongest_id, strongest_score, weakest_id, weakest_score, leader_fit, brings, "
            "summary), then one per unmatched person with unmatched_reason.\n\nExample: "
            "matchsvc peer circles --people examples/peers.csv --out circles.csv"
        ),
    )
    def peer_circles(
        people: PoolFile,
        out: ResultFile,
        leaders: Annotated[
            Path | None,
            typer.Option(help="Leaders (.csv, .json, .jsonl); capacity = circles each leads."),
        ] = None,
        options: PeerOptionsFile = None,
    ) -> None:
        peer_files(encoder, people, leaders, options, out, circles=True)

    @cli.command(
        help=(
            "Erase people's cached embeddings: the vectors of their skills, goals and "
            "communication style (the cache stores a hash of each text, never the text), "
            "under every model, from MATCHSVC_DATA_DIR/embeddings.sqlite3; the erased bytes "
            "are overwritten, not only unlinked. Loads no model.\n\n"
            + PEOPLE_HELP
            + "\nOnly the texts are read. A running service keeps in-memory copies until it "
            "restarts: use POST /cache/forget there instead. Job payloads are erased with "
            "DELETE /jobs/{id}.\n\nExample: matchsvc forget --people leavers.csv"
        )
    )
    def forget(
        people: Annotated[Path, typer.Option(help="People file (.csv, .json, .jsonl).")],
    ) -> None:
        forget_file(people)

    return cli


def prepare_service() -> None:
    """``matchsvc prepare``: load the configured encoder once (exporting the ONNX graph if it
    is missing) and warm the solvers; exit 2 with the reason if that fails."""
    import time

    from matchsvc.config import load_settings
    from matchsvc.engine import Engine

    os.environ["HF_HUB_OFFLINE"] = "1"
    start = time.perf_counter()
    try:
        settings = load_settings()
        engine = Engine(settings)
        engine.check_model()
    except ConfigError as exc:
        raise _fail([exc.message]) from exc
    engine.load()
    if engine.load_error is not None:
        raise _fail([engine.load_error])
    typer.echo(
        f"matchsvc: prepared {engine.encoder.model_id} in {time.perf_counter() - start:.1f} s "
        f"(data directory {settings.data_dir})",
        err=True,
    )


def serve_http(host: str | None, port: int | None) -> None:
    """``matchsvc serve``: settings (plus overrides) -> app -> uvicorn; exit 2 on bad settings.

    Logs are JSON lines on stderr (:func:`matchsvc.logs.configure_logging`); uvicorn's access log
    is off, the app writes one line per request. On SIGTERM/SIGINT uvicorn stops accepting
    connections and lets in-flight requests finish for up to one request budget plus one queue
    wait plus 5 s (30 s when there is no budget) before it closes them.
    """
    import uvicorn

    from matchsvc.api import create_app
    from matchsvc.config import load_settings
    from matchsvc.logs import configure_logging

    os.environ["HF_HUB_OFFLINE"] = "1"
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    try:
        settings = load_settings(**overrides)
        configure_logging(settings.log_level)
        application = create_app(settings)
    except ConfigError as exc:
        typer.echo(f"matchsvc: {exc.message}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=_grace_seconds(settings),
    )


def _grace_seconds(settings: Settings) -> int:
    """How long shutdown waits for in-flight requests: long enough for any admitted one."""
    if settings.request_timeout_seconds <= 0:
        return 30
    return math.ceil(settings.request_timeout_seconds + settings.queue_timeout_seconds) + 5


app = create_cli()
"""The ``matchsvc`` entry point (console script)."""

"""`docdebate`: the command line.

Start-up is kept to Typer's own: this module imports nothing else at the top. Each command imports what it
uses when it runs (the settings and the Anthropic SDK when a model is called, Slack and DBOS for `serve`,
Google only for a Google link), so `--help`, `--version` and a usage error answer at once.

Every failure a user can fix ends as one line on stderr and a non-zero exit code (the README lists them):
64 usage, 66 unreadable input, 69 model service unavailable, 70 a bug, 73 the report cannot be written,
78 configuration, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer._click.core import Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # Typer vendors click
from typer.core import TyperGroup

from bot import __version__
from bot.depth import Depth

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.debate.memory import Related
    from bot.debate.progress import EventSink
    from bot.debate.protocol import Debate
    from bot.evals.cases import Case
    from bot.evals.runner import Variant
    from bot.evals.summary import EvalReport
    from bot.llm import LLM
    from bot.models import DebateResult, DigestResult, Document, Persona

EX_USAGE = 64
EX_NOINPUT = 66
EX_SOFTWARE = 70
EX_CANTCREAT = 73

app = typer.Typer(
    name="docdebate",
    help="A panel of personas debates your doc, challenges its assumptions and names its one-way doors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    TEXT = "text"
    MD = "md"
    JSON = "json"


PersonasDir = Annotated[
    Path | None,
    typer.Option(
        "--personas-dir",
        help="A folder of extra persona files (overrides DOCDEBATE_PERSONAS_DIR).",
        show_default=False,
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, as typed (no markup, no emoji codes turned into pictures), and the exit code."""
    typer.echo(f"{typer.style('error:', fg='red', bold=True)} {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docdebate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """A panel of personas debates your doc, challenges its assumptions and names its one-way doors."""


def settings(*, service: bool = False, personas_dir: Path | None = None) -> Settings:
    """The settings, with logging set up from them; a bad setting is one line and exit 78."""
    from bot import logs
    from bot.config import get_settings
    from bot.errors import DocdebateError

    try:
        loaded = get_settings()
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    logs.configure(loaded.log_level, service=service, payloads=loaded.log_payloads)
    if personas_dir is not None:
        if not personas_dir.is_dir():
            fail(f"--personas-dir {personas_dir} is not a folder", EX_USAGE)
        loaded = loaded.model_copy(update={"personas_dir": personas_dir})
    return loaded


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine; user-fixable failures become one line and an exit code, never a traceback."""
    import asyncio
    import logging

    from bot.errors import DocdebateError

    try:
        return asyncio.run(coro)
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # a bug: still one line, with enough to report it
        logging.getLogger("docdebate").debug("unexpected failure", exc_info=True)
        fail(
            f"unexpected {type(exc).__name__}: {exc} (please report this; DOCDEBATE_LOG_LEVEL=debug shows details)",
            EX_SOFTWARE,
        )


def check_output(out: Path) -> None:
    """Before anything is spent: the report's file can be created where the user asked."""
    if out.is_dir():
        fail(f"--out {out} is a folder: give a file name, e.g. {out / 'review.json'}", EX_USAGE)
    folder = out.parent if str(out.parent) else Path()
    if not folder.is_dir():
        fail(f"--out {out}: the folder {folder} does not exist", EX_USAGE)
    target = out if out.exists() else folder
    if not os.access(target, os.W_OK):
        fail(
            f"--out {out}: no permission to write {'the file' if out.exists() else 'in ' + str(folder)}",
            EX_USAGE,
        )


def _panel(settings_: Settings, personas: str | None) -> list[Persona]:
    from bot.debate.personas import load_personas, parse_panel, select_panel
    from bot.errors import DocdebateError

    try:
        return select_panel(load_personas(settings_.personas_dir), parse_panel(personas))
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)


async def _show(
    settings_: Settings, fmt: OutputFormat, debate_for: Callable[[LLM, EventSink], Debate]
) -> DebateResult:
    """Run the debate (or re-review) `debate_for` makes, live in the terminal, then show its verdict."""
    from rich.console import Console

    from bot.llm import LLM
    from bot.terminal import TerminalView, print_verdict

    llm = LLM(settings_)
    try:
        console = Console() if fmt is OutputFormat.TEXT else Console(stderr=True)
        view = TerminalView(console, show_turns=fmt is OutputFormat.TEXT)
        try:
            result = await debate_for(llm, view).run()
        finally:
            view.stop()
        if fmt is OutputFormat.TEXT:
            print_verdict(console, result)
        return result
    finally:
        await llm.close()


def _memory(settings_: Settings, document: Document) -> list[Related]:
    """The ledger entries that bear on the doc, when DATABASE_URL names the bot's database (README, "The
    ledger"): the CLI is the operator's, so any entry may be cited. Unset, the review has no memory and
    loads no database code."""
    if "database_url" not in settings_.model_fields_set or not settings_.ledger_context_max:
        return []
    from sqlalchemy.exc import SQLAlchemyError

    from bot.debate.memory import related_entries
    from bot.sources.links import doc_key
    from bot.store import Store

    try:
        entries = Store(settings_.database_url).ledger.entries()
    except SQLAlchemyError as exc:
        typer.echo(
            f"warning: no memory of the ledger: DATABASE_URL cannot be read ({type(exc).__name__})", err=True
        )
        return []
    return related_entries(entries, document, doc_key(document.source), settings_.ledger_context_max)


async def _review(
    settings_: Settings, source: str, panel: list[Persona], depth: Depth, focus: str | None, fmt: OutputFormat
) -> DebateResult:
    """Read the document (everything that can fail before a model call fails here), then debate it."""
    from bot.debate.protocol import Debate
    from bot.sources import load_document

    document = await load_document(source, settings_)
    memory = _memory(settings_, document)
    return await _show(
        settings_,
        fmt,
        lambda llm, view: Debate(
            llm, settings_, document, panel, depth=depth, focus=focus, on_event=view, memory=memory
        ),
    )


async def _rereview(
    settings_: Settings, source: str, earlier: DebateResult, panel: list[Persona], fmt: OutputFormat
) -> DebateResult | None:
    """Read the document again and re-review what changed since `earlier`; None when nothing did."""
    from bot.debate.changes import edits
    from bot.debate.rereview import Revisit
    from bot.sources import load_document

    document = await load_document(source, settings_)
    found = edits(earlier.document, document)
    if not found:
        return None
    return await _show(
        settings_, fmt, lambda llm, view: Revisit(llm, settings_, earlier, document, panel, found, view)
    )


def _earlier(path: Path) -> DebateResult:
    """The earlier review `--since` names: the JSON `review --format json` wrote."""
    from pydantic import ValidationError

    from bot.models import DebateResult

    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"--since {path}: {exc.strerror}", EX_NOINPUT)
    except UnicodeDecodeError:
        fail(f"--since {path} is not a text file", EX_NOINPUT)
    try:
        return DebateResult.model_validate_json(raw)
    except ValidationError as exc:
        if any(error["loc"] == ("document", "text") for error in exc.errors()):
            fail(
                f"--since {path} holds no document text (an older docdebate wrote it): review that version "
                "again with --format json",
                EX_NOINPUT,
            )
        fail(f"--since {path} is not the JSON of a docdebate review ({exc.error_count()} errors)", EX_NOINPUT)


def _review_since(loaded: Settings, source: str, since: Path, fmt: OutputFormat, out: Path | None) -> None:
    """`review NEW --since OLD.json`: a re-review with the earlier panel; one line when nothing changed."""
    from bot.debate.report import unchanged_json, unchanged_line

    earlier = _earlier(since)
    panel = _panel(loaded, ",".join(earlier.personas))
    result = run(_rereview(loaded, source, earlier, panel, fmt))
    if result is None:
        _write_text(unchanged_json(earlier) if fmt is OutputFormat.JSON else unchanged_line(earlier), out)
    elif fmt is not OutputFormat.TEXT:
        _write_report(result, panel, fmt, out)


@app.command()
def review(
    source: Annotated[str, typer.Argument(help="A .md, .txt, .pdf or .docx file, or an http(s) URL.")],
    personas: Annotated[
        str | None, typer.Option("--personas", "-p", help="Comma-separated panel, e.g. skeptic,legal.")
    ] = None,
    focus: Annotated[
        str | None, typer.Option("--focus", "-f", help="What the panel should focus on.")
    ] = None,
    depth: Annotated[Depth, typer.Option("--depth", "-d", help="quick: no rebuttal; deep: two rounds.")] = (
        Depth.STANDARD
    ),
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", help="text (live, for people), md or json (for files and scripts)."),
    ] = OutputFormat.TEXT,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the md/json report to this file.")
    ] = None,
    personas_dir: PersonasDir = None,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since",
            help="Re-review against an earlier review's JSON (review --format json): only what changed, "
            "with the earlier panel.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a debate over a document and show it live, then the verdict."""
    if since is not None and (personas is not None or focus is not None):
        fail(
            "--since re-reviews with the earlier review's panel and focus: leave out --personas and --focus",
            EX_USAGE,
        )
    if out is not None:
        check_output(out)
        if fmt is OutputFormat.TEXT:
            fmt = OutputFormat.JSON if out.suffix.lower() == ".json" else OutputFormat.MD
    loaded = settings(personas_dir=personas_dir)
    _require_key(loaded)
    if since is not None:
        _review_since(loaded, source, since, fmt, out)
        return
    panel = _panel(loaded, personas)
    result = run(_review(loaded, source, panel, depth, focus, fmt))
    if fmt is not OutputFormat.TEXT:
        _write_report(result, panel, fmt, out)


def _require_key(loaded: Settings) -> None:
    from bot.errors import DocdebateError

    try:
        loaded.api_key()
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)


def _write_report(result: DebateResult, panel: list[Persona], fmt: OutputFormat, out: Path | None) -> None:
    from bot.debate.report import to_json, to_markdown

    report = to_json(result) if fmt is OutputFormat.JSON else to_markdown(result, {p.name: p for p in panel})
    _write_text(report, out)


def _write_text(report: str, out: Path | None) -> None:
    """To stdout, or to `out` (checked before anything was spent) with one line saying so."""
    if out is None:
        sys.stdout.write(report + "\n")
        return
    try:
        out.write_text(report + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}", EX_CANTCREAT)
    typer.echo(f"Wrote {out}", err=True)


@app.command()
def serve(
    http: Annotated[
        bool, typer.Option("--http", help="Serve Bolt's /slack/events over HTTP instead of Socket Mode.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="HTTP port (with --http).")] = 3000,
    host: Annotated[
        str, typer.Option("--host", help="HTTP address (with --http); 0.0.0.0 listens on every interface.")
    ] = "0.0.0.0",  # noqa: S104
) -> None:
    """Run the Slack bot."""
    from bot.errors import DocdebateError

    loaded = settings(service=True)
    _require_key(loaded)
    from bot.slack.serve import serve as serve_slack  # Slack's and DBOS's libraries load only for serving

    try:
        serve_slack(loaded, http, host, port)
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        pass


@app.command()
def worker(
    go_fd: Annotated[int | None, typer.Option("--go-fd", hidden=True)] = None,
    ready_fd: Annotated[int | None, typer.Option("--ready-fd", hidden=True)] = None,
) -> None:
    """Run debates and digests from the queues, apart from `serve` (which starts its own workers)."""
    from bot.errors import DocdebateError

    loaded = settings(service=True)
    _require_key(loaded)
    from bot.worker import run_worker

    try:
        run_worker(loaded, go_fd=go_fd, ready_fd=ready_fd)
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        pass


@app.command()
def doctor(
    http: Annotated[bool, typer.Option("--http", help="Check for HTTP mode instead of Socket Mode.")] = False,
) -> None:
    """Check every configured credential, scope and store, and say what to fix."""
    from bot import doctor as checks

    raise typer.Exit(checks.run(settings(), socket_mode=not http))


async def _digest(settings_: Settings, source: str) -> DigestResult:
    from rich.console import Console

    from bot.digest.writer import write_digest
    from bot.llm import LLM
    from bot.models import DigestResult
    from bot.sources import load_document

    document = await load_document(source, settings_)
    llm = LLM(settings_)
    try:
        with Console(stderr=True).status("Writing the digest…"):
            digest_, usage = await write_digest(llm, settings_, document)
        return DigestResult(document=document, model=settings_.model, digest=digest_, usage=usage)
    finally:
        await llm.close()


def _calendar_pass(settings_: Settings) -> list[str]:
    """One pass over the calendars with the bot's durable workflows: each due digest posted once, even if
    `serve` or another `digest --once` sees the same meeting."""
    from datetime import UTC, datetime

    from bot.errors import ConfigError
    from bot.posting.poster import Poster, web_client
    from bot.workflows import queue

    if not settings_.calendar_channels():
        raise ConfigError("DOCDEBATE_CALENDARS is not set: name the calendar ids to watch, comma-separated")
    queue.launch(settings_, Poster(web_client(settings_), settings_.slack_retry_s), poll_calendars=False)
    try:
        posted: list[str] = run(queue.run_due(datetime.now(UTC)))
        return posted
    finally:
        queue.shutdown(settings_.shutdown_grace_s)


@app.command()
def digest(
    source: Annotated[
        str | None, typer.Argument(help="A file or URL to digest now (omit with --once).", show_default=False)
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One calendar pass: post the digests now due, then exit.")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="text, md or json.")] = OutputFormat.TEXT,
) -> None:
    """Write the pre-meeting silent-read digest of a document, or post the digests due on the calendars."""
    from bot.errors import DocdebateError

    if once == (source is not None):
        fail("give a file or URL to digest, or --once for a calendar pass (not both)", EX_USAGE)
    loaded = settings(service=once)
    _require_key(loaded)
    if once:
        try:
            posted = _calendar_pass(loaded)
        except DocdebateError as exc:
            fail(exc.message, exc.exit_code)
        typer.echo(f"{len(posted)} digest(s) due: " + (", ".join(posted) or "none"), err=True)
        return
    assert source is not None
    result = run(_digest(loaded, source))
    from bot.debate.report import digest_to_markdown

    if fmt is OutputFormat.JSON:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif fmt is OutputFormat.MD:
        sys.stdout.write(digest_to_markdown(result) + "\n")
    else:
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(digest_to_markdown(result)))


@app.command()
def ledger(
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text (a table), md or json.")
    ] = OutputFormat.TEXT,
    history: Annotated[
        bool, typer.Option("--history", help="List the versions consolidation wrote, newest first.")
    ] = False,
    restore: Annotated[
        int | None,
        typer.Option(
            "--restore",
            min=0,
            help="Make the ledger show what version N did (0: before any consolidation).",
            show_default=False,
        ),
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only the doors still open.")] = False,
) -> None:
    """The team's ledger of one-way doors across docs (DATABASE_URL), as the operator sees it: every entry,
    private ones included."""
    if history and restore is not None:
        fail("give --history or --restore, not both", EX_USAGE)
    loaded = settings()
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from bot.debate import ledger_report as report
    from bot.store import Store
    from bot.store.ledger import Viewer

    try:
        book = Store(loaded.database_url).ledger
        if restore is not None:
            try:
                written = book.restore(restore)
            except LookupError:
                fail(f"there is no version {restore} (`docdebate ledger --history` lists them)", EX_USAGE)
            typer.echo(f"Restored version {restore} as version {written}", err=True)
            return
        if history:
            versions = book.versions()
            text = {OutputFormat.JSON: report.history_json, OutputFormat.MD: report.history_markdown}
            if fmt is OutputFormat.TEXT:
                report.print_history(Console(), versions)
            else:
                sys.stdout.write(text[fmt](versions) + "\n")
            return
        current = book.current()
        entries = book.shown(Viewer(everyone=True), open_only=open_only)
    except SQLAlchemyError as exc:
        fail(f"cannot read the ledger in DATABASE_URL ({type(exc).__name__}): check the setting", 69)
    version = current.version if current else 0
    if fmt is OutputFormat.JSON:
        sys.stdout.write(report.ledger_json(version, entries) + "\n")
    elif fmt is OutputFormat.MD:
        sys.stdout.write(report.ledger_markdown(version, entries) + "\n")
    else:
        report.print_ledger(Console(), version, entries)


@app.command("personas")
def list_personas(personas_dir: PersonasDir = None) -> None:
    """List the personas you can put on a panel, and where each comes from."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from bot.debate.personas import load_personas
    from bot.errors import DocdebateError
    from bot.models import PersonaOrigin

    loaded = settings(personas_dir=personas_dir)
    try:
        available = load_personas(loaded.personas_dir)
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    table = Table("name", "title", "focus", "from", title="Personas")
    for persona in available.values():
        origin = "built-in" if persona.origin is PersonaOrigin.BUILTIN else f"custom: {persona.path}"
        table.add_row(
            Text(persona.name),
            Text.from_markup(persona.emoji + " ") + Text(persona.title),
            Text(persona.focus),
            Text(origin),
        )
    Console().print(table)


class _EvalGroup(TyperGroup):
    """`docdebate eval [CASES_DIR] [options]` runs the cases (the `run` command); `eval export-feedback` is
    the other subcommand. A first word that names no subcommand is the run's."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        elif not args:
            args = ["run"]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_EvalGroup,
    help="Score the panel on cases with planted one-way doors (the built-in corpus, or your own). "
    "`docdebate eval [CASES_DIR] [OPTIONS]` runs them: `docdebate eval run --help` lists the options.",
    add_completion=False,
)
app.add_typer(eval_app, name="eval")


@eval_app.command("run")
def eval_run(
    cases_dir: Annotated[
        Path | None,
        typer.Argument(
            help="A folder of cases (each a document and labels.yaml); omitted: the built-in corpus."
        ),
    ] = None,
    runs: Annotated[
        int, typer.Option("--runs", min=1, max=20, help="Debates per case: reruns disagree.")
    ] = 1,
    personas: Annotated[
        str | None, typer.Option("--personas", "-p", help="The panel, e.g. skeptic,exec.")
    ] = None,
    depth: Annotated[Depth, typer.Option("--depth", "-d", help="quick, standard or deep.")] = Depth.STANDARD,
    compare: Annotated[
        list[str] | None,
        typer.Option(
            "--compare",
            help="A variant to run beside the baseline, e.g. 'depth=deep' or 'model=… personas=a,b'; twice: "
            "those two side by side.",
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=32, help="Debates at once.")] = 4,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text (a table), md or json.")
    ] = OutputFormat.TEXT,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the md/json report to this file.")
    ] = None,
    personas_dir: PersonasDir = None,
) -> None:
    """Run the debate over every case and score it by code: door recall, false doors, grounding, cost."""
    if out is not None:
        check_output(out)
        if fmt is OutputFormat.TEXT:
            fmt = OutputFormat.JSON if out.suffix.lower() == ".json" else OutputFormat.MD
    if compare and len(compare) > 2:
        fail("--compare takes at most two variants (one: beside the baseline)", EX_USAGE)
    loaded = settings(personas_dir=personas_dir)
    _require_key(loaded)
    from bot.errors import DocdebateError
    from bot.evals.cases import builtin_corpus, load_cases
    from bot.evals.runner import Variant, parse_variant

    folder = cases_dir or builtin_corpus()
    baseline = Variant("baseline", depth, personas)
    try:
        cases = load_cases(folder)
        variants = [parse_variant(text, baseline) for text in compare or []]
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    if len(variants) < 2:
        variants.insert(0, baseline)
    report = run(_evaluate(loaded, str(folder), cases, variants, runs, concurrency))
    _write_eval(report, fmt, out)
    failed = sum(t.errors for t in report.totals)
    if failed:
        fail(f"{failed} debate(s) failed (see the report): the figures leave them out", 69)


@eval_app.command("export-feedback")
def eval_export_feedback(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The folder to write the cases into (created if need be).")
    ],
) -> None:
    """Write the debates people marked in Slack (DATABASE_URL) as eval cases: a team's own test set."""
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file: give a folder", EX_USAGE)
    if not out.parent.is_dir():
        fail(f"--out {out}: the folder {out.parent} does not exist", EX_USAGE)
    loaded = settings()
    from sqlalchemy.exc import SQLAlchemyError

    from bot.evals.export import export_feedback
    from bot.store import Store

    try:
        written, skipped = export_feedback(Store(loaded.database_url).feedback, out)
    except OSError as exc:
        fail(f"cannot write into {out}: {exc.strerror}", EX_CANTCREAT)
    except SQLAlchemyError as exc:
        fail(f"cannot read the debates in DATABASE_URL ({type(exc).__name__}): check the setting", 69)
    note = (
        f"; {skipped} marked debate(s) skipped (no door marked right, or already in {out})" if skipped else ""
    )
    if not written and not skipped:
        note = ": no verdict has marks yet (the buttons under each finding of a summary in Slack)"
    typer.echo(f"Wrote {len(written)} case(s) to {out}{note}", err=True)


async def _evaluate(
    settings_: Settings, corpus: str, cases: list[Case], variants: list[Variant], runs: int, concurrency: int
) -> EvalReport:
    import time

    from rich.console import Console
    from rich.progress import Progress

    from bot.evals.runner import evaluate
    from bot.evals.summary import build

    started = time.perf_counter()
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Debating the cases", total=len(cases) * len(variants) * runs)
        done = await evaluate(settings_, cases, variants, runs, concurrency, lambda _: progress.advance(task))
    return build(corpus, [v.name for v in variants], done, runs, time.perf_counter() - started)


def _write_eval(report: EvalReport, fmt: OutputFormat, out: Path | None) -> None:
    from bot.evals.report import print_report, to_markdown

    if fmt is OutputFormat.TEXT:
        from rich.console import Console

        print_report(Console(), report)
        return
    text = report.model_dump_json(indent=2) if fmt is OutputFormat.JSON else to_markdown(report)
    _write_text(text, out)


def _usage_line(exc: UsageError) -> str:
    """Click's usage error as one line, with where to read more."""
    message = " ".join(exc.format_message().split())
    command = exc.ctx.command_path if exc.ctx is not None else "docdebate"
    return f"{message} (see `{command} --help`)"


def main() -> None:
    """The console script: Typer without its boxed error panels; usage errors are one line, exit 64."""
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        typer.echo(exc.format_message())
        sys.exit(0)
    except UsageError as exc:
        typer.echo(f"{typer.style('error:', fg='red', bold=True)} {_usage_line(exc)}", err=True)
        sys.exit(EX_USAGE)
    except ClickException as exc:
        typer.echo(f"{typer.style('error:', fg='red', bold=True)} {exc.format_message()}", err=True)
        sys.exit(EX_USAGE)
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

"""`docdebate`: the command line.

Every failure a user can fix ends as one line on stderr and a non-zero exit code; see `bot.errors`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from bot.config import Settings, get_settings
from bot.debate.personas import load_personas, parse_panel, select_panel
from bot.debate.protocol import Debate
from bot.debate.report import digest_to_markdown, to_json, to_markdown
from bot.digest.writer import write_digest
from bot.errors import ConfigError, DocdebateError
from bot.llm import LLM
from bot.models import DebateResult, Depth, DigestResult, Persona, PersonaOrigin
from bot.sources import load_document
from bot.terminal import TerminalView, print_verdict

app = typer.Typer(
    name="docdebate",
    help="A panel of personas debates your doc, challenges its assumptions and names its one-way doors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


class OutputFormat(StrEnum):
    TEXT = "text"
    MD = "md"
    JSON = "json"


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine; user-fixable failures become one line and an exit code, never a traceback."""
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
            70,
        )


async def _review(
    settings: Settings, source: str, panel: list[Persona], depth: Depth, focus: str | None, fmt: OutputFormat
) -> tuple[DebateResult, dict[str, Persona]]:
    llm = LLM(settings)
    try:
        document = await load_document(source, settings)
        console = Console() if fmt is OutputFormat.TEXT else err
        view = TerminalView(console, show_turns=fmt is OutputFormat.TEXT)
        debate = Debate(llm, settings, document, panel, depth=depth, focus=focus, on_event=view)
        try:
            result = await debate.run()
        finally:
            view.stop()
        if fmt is OutputFormat.TEXT:
            print_verdict(console, result)
        return result, {p.name: p for p in panel}
    finally:
        await llm.close()


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
) -> None:
    """Run a debate over a document and show it live, then the verdict."""
    if out is not None and fmt is OutputFormat.TEXT:
        fmt = OutputFormat.JSON if out.suffix.lower() == ".json" else OutputFormat.MD
    try:
        settings = get_settings()
        settings.api_key()
        panel = select_panel(load_personas(settings.personas_dir), parse_panel(personas))
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    result, by_name = run(_review(settings, source, panel, depth, focus, fmt))
    if fmt is OutputFormat.TEXT:
        return
    report = to_json(result) if fmt is OutputFormat.JSON else to_markdown(result, by_name)
    if out is None:
        sys.stdout.write(report + "\n")
        return
    try:
        out.write_text(report + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}", 73)
    err.print(f"Wrote {out}")


@app.command()
def serve(
    http: Annotated[
        bool, typer.Option("--http", help="Serve Bolt's /slack/events over HTTP instead of Socket Mode.")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="HTTP port (with --http).")] = 3000,
    host: Annotated[str, typer.Option("--host", help="HTTP address (with --http).")] = "0.0.0.0",  # noqa: S104
) -> None:
    """Run the Slack bot."""
    from bot.slack.serve import serve as serve_slack  # Slack's libraries load only for serving

    try:
        settings = get_settings()
        settings.api_key()
        serve_slack(settings, http, host, port)
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        pass


async def _digest(settings: Settings, source: str) -> DigestResult:
    llm = LLM(settings)
    try:
        document = await load_document(source, settings)
        with err.status("Writing the digest…"):
            digest, usage = await write_digest(llm, settings, document)
        return DigestResult(document=document, model=settings.model, digest=digest, usage=usage)
    finally:
        await llm.close()


def _calendar_pass(settings: Settings) -> list[str]:
    """One pass over the calendars with the bot's durable workflows: each due digest posted once, even if
    `serve` or another `digest --once` sees the same meeting."""
    from bot import jobs
    from bot.digest import workflows
    from bot.slack.poster import Poster, web_client

    if not settings.calendar_channels():
        raise ConfigError("DOCDEBATE_CALENDARS is not set: name the calendar ids to watch, comma-separated")
    jobs.launch(settings, Poster(web_client(settings)))
    workflows.launch(settings, poll_calendars=False)
    try:
        posted: list[str] = run(workflows.run_due(datetime.now(UTC)))
        return posted
    finally:
        jobs.shutdown(settings.shutdown_grace_s)


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
    if once == (source is not None):
        fail("give a file or URL to digest, or --once for a calendar pass (not both)", 64)
    try:
        settings = get_settings()
        settings.api_key()
        if once:
            posted = _calendar_pass(settings)
            err.print(f"{len(posted)} digest(s) due: " + (", ".join(posted) or "none"))
            return
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    assert source is not None
    result = run(_digest(settings, source))
    if fmt is OutputFormat.JSON:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif fmt is OutputFormat.MD:
        sys.stdout.write(digest_to_markdown(result) + "\n")
    else:
        Console().print(Markdown(digest_to_markdown(result)))


@app.command("personas")
def list_personas() -> None:
    """List the personas you can put on a panel, and where each comes from."""
    try:
        settings = get_settings()
        available = load_personas(settings.personas_dir)
    except DocdebateError as exc:
        fail(exc.message, exc.exit_code)
    table = Table("name", "title", "focus", "from", title="Personas")
    for persona in available.values():
        origin = "built-in" if persona.origin is PersonaOrigin.BUILTIN else f"custom: {persona.path}"
        table.add_row(persona.name, f"{persona.emoji} {escape(persona.title)}", escape(persona.focus), origin)
    Console().print(table)


def main() -> None:
    try:
        level = get_settings().log_level.upper()
    except DocdebateError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.message)}")
        sys.exit(exc.exit_code)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()

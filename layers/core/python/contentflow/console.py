"""What the `contentflow` command prints: aligned tables for a person at a terminal, and the JSON it
has always printed for scripts, with `--json` or whenever stdout is not a terminal (piped,
redirected, captured). Progress of long commands goes to stderr, so it never mixes with the
result: a bar on a terminal, a few plain lines (`archive: 12/32 (37 %)`) elsewhere (a CI log, a
file) when the command knows how much there is to do.

A command module adds the option, then describes its output and lets `show` choose:

    console.json_option(parser)
    ...
    console.show(args, page,                      # JSON: `page`, exactly as before
                 console.Table(page.items, [console.Column("run", "run_id"), ...]),
                 console.Note("next page: --cursor …"))
    with console.progress("moving dead letters back", total=..., done=...):
        ...

Tables and progress are drawn with rich (the `local` extra, which `make run` installs), imported
here only when something is drawn: the core layer ships this module to Lambda, never rich.
Without rich the command prints its JSON and shows no progress.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

# Colours of the states the commands print (runs, keys, links, flags); others stay plain.
STATUS = {
    "done": "green",
    "active": "green",
    "on": "green",
    "running": "yellow",
    "deferred": "yellow",
    "failed": "red",
    "dead": "red",
    "revoked": "red",
    "skipped": "dim",
    "expired": "dim",
    "disabled": "dim",
    "off": "dim",
}


# --- what a command shows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its header, the row's attribute (or key) or a function of the row, how a value is
    written (`money`, `percent`, `moment`…; default: `cell`), and colours by value (e.g. STATUS).
    Columns whose values are all numbers are right-aligned. `wrap=False` cuts a long value with an
    ellipsis instead of folding it (identifiers stay on one line)."""

    header: str
    value: str | Callable[[Any], Any]
    format: Callable[[Any], str] | None = None
    style: Mapping[str, str] | None = None
    wrap: bool = True

    def of(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        return row.get(self.value) if isinstance(row, Mapping) else getattr(row, self.value, None)


@dataclass(frozen=True)
class Table:
    """Rows under their column headers; `total` is a last row set apart, as (label, row), its label
    in the first column; `empty` is printed instead of a table without rows."""

    rows: Iterable[Any]
    columns: list[Column]
    title: str | None = None
    total: tuple[str, Any] | None = None
    empty: str = "nothing to show"


@dataclass(frozen=True)
class Fields:
    """One item as a two-column table: each field's name and value (nested values as compact JSON)."""

    item: BaseModel | Mapping[str, Any]
    title: str | None = None
    only: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A line after the tables: the next page's cursor, a warning."""

    text: str
    style: str = "dim"


View = Table | Fields | Note


def json_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`--json`: print the JSON document even on a terminal (it is printed whenever stdout is not one)."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON (the default when the output is not a terminal)",
    )
    return parser


def wants_json(args: argparse.Namespace | None = None) -> bool:
    """JSON with --json, when stdout is not a terminal, or when rich is not installed."""
    if (args is not None and getattr(args, "json", False)) or not _is_terminal(sys.stdout):
        return True
    return not _has_rich()


def show(args: argparse.Namespace, result: BaseModel | Any, *views: View | None) -> None:
    """Print `result` as JSON (model_dump_json(indent=2, by_alias=True), field names as the API
    writes them; json.dumps(indent=2) for plain data), or, for a person at a terminal, the views (by
    default: `result`'s fields). None views are skipped."""
    if wants_json(args):
        if isinstance(result, BaseModel):
            print(result.model_dump_json(indent=2, by_alias=True))
        else:
            print(json.dumps(result, indent=2, default=str))
        return
    render(*(views or (Fields(result),)))


def render(*views: View | None) -> None:
    """Draw views on stdout with rich (a terminal is assumed: see `show`)."""
    from rich.console import Console

    out = Console(highlight=False)
    for number, view in enumerate(v for v in views if v is not None):
        if number:
            out.print()  # a blank line between views
        if isinstance(view, Note):
            out.print(_text(view.text, view.style))
            continue
        if view.title:
            out.print(_text(view.title, "bold"))
        out.print(_table(view))


# --- how values are written ------------------------------------------------------------------------


def cell(value: Any) -> str:
    """The default writing of a value: nothing for None, yes/no, thousands apart, lists joined,
    nested data as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(", ", ": "), default=str) if value else ""
    return str(value)


def money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.2%}"


def moment(value: str | datetime | None) -> str:
    """An instant to the second, in UTC, without the T and the zone (headers say UTC)."""
    if value is None or value == "":
        return ""
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def seconds(start: str | None, end: str | None) -> str:
    """The time between two ISO instants, e.g. `1.2 s`; nothing while `end` is missing."""
    try:
        elapsed = (datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))).total_seconds()
    except (TypeError, ValueError):
        return ""
    return f"{elapsed:,.1f} s"


# --- progress ----------------------------------------------------------------------------------------


@contextmanager
def progress(
    description: str,
    *,
    total: int | Callable[[], int | None] | None = None,
    done: Callable[[], int] | None = None,
    every: float = 0.25,
) -> Iterator[None]:
    """While the block runs, on a terminal's stderr: a spinner, the time elapsed and, when `total`
    is known, a bar of `done()` (polled every `every` s on a thread) out of it. `total` may be a
    function, called only when progress is shown (it may cost an AWS call). Lines written to stderr
    meanwhile (worker logs) appear above it; stdout is left alone. It disappears at the end.
    When stderr is not a terminal, with `total` and `done`: plain lines instead (see PlainProgress);
    without them, nothing. Progress is a courtesy: a failing `total` or `done` leaves the spinner
    alone (or prints no more lines)."""
    if not _is_terminal(sys.stderr):
        if total is None or done is None:
            yield
            return
        with _plain_progress(description, total, done, every):
            yield
        return
    if not _has_rich():
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    if callable(total):
        try:
            total = total()
        except Exception:
            total = None
    columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False)]
    if total:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    bar = Progress(
        *columns, console=Console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=True
    )
    task = bar.add_task(description, total=total or None)
    stop = threading.Event()
    poller = None
    if total and done is not None:

        def poll() -> None:
            while not stop.wait(every):
                try:
                    bar.update(task, completed=max(0, min(int(done()), total)))
                except Exception:
                    return

        poller = threading.Thread(target=poll, name="contentflow-progress", daemon=True)
    with bar:
        if poller:
            poller.start()
        try:
            yield
        finally:
            stop.set()
            if poller:
                poller.join()


PLAIN_EVERY_S = 10.0  # plain progress: at most one line this often between 10 % steps


class PlainProgress:
    """Progress as lines for a log (`description: done/total (pct %)`): a line when the count
    reaches a new 10 % step or, between steps, when it changed and PLAIN_EVERY_S have passed since
    the last line; and a last line at the end. A long run prints a few dozen lines at most, not one
    per item."""

    def __init__(self, description: str, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.description = description
        self.total = total
        self.clock = clock
        self.shown: int | None = None  # the count of the last line printed
        self.shown_at = clock()

    def line(self, done: int) -> str:
        done = max(0, min(done, self.total))
        return f"{self.description}: {done}/{self.total} ({done * 100 // self.total} %)"

    def see(self, done: int) -> str | None:
        """The line to print now for `done`, if any."""
        done = max(0, min(done, self.total))
        if done == self.shown:
            return None
        step = done * 10 // self.total
        new_step = self.shown is None or step > self.shown * 10 // self.total
        if not new_step and self.clock() - self.shown_at < PLAIN_EVERY_S:
            return None
        return self._shown(done)

    def last(self, done: int) -> str | None:
        """The end: the final count, unless the last line already said it."""
        done = max(0, min(done, self.total))
        return None if done == self.shown else self._shown(done)

    def _shown(self, done: int) -> str:
        self.shown, self.shown_at = done, self.clock()
        return self.line(done)


@contextmanager
def _plain_progress(
    description: str,
    total: int | Callable[[], int | None],
    done: Callable[[], int],
    every: float,
) -> Iterator[None]:
    if callable(total):
        try:
            total = total()
        except Exception:
            total = None
    if not total:
        yield
        return
    lines = PlainProgress(description, int(total))
    stop = threading.Event()
    failed = threading.Event()

    def count() -> int | None:
        if failed.is_set():
            return None
        try:
            return int(done())
        except Exception:
            failed.set()
            return None

    def say(line: str | None) -> None:
        if line:
            print(line, file=sys.stderr, flush=True)

    def poll() -> None:
        while not stop.wait(every):
            if (now := count()) is None:
                return
            say(lines.see(now))

    poller = threading.Thread(target=poll, name="contentflow-progress-lines", daemon=True)
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join()
        if (now := count()) is not None:
            say(lines.last(now))


# --- drawing ------------------------------------------------------------------------------------------


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _text(value: str, style: str | None = None):
    from rich.text import Text

    return Text(value, style=style or "")  # a Text: "[…]" in a value is never read as markup


def _table(view: Table | Fields):
    from rich import box
    from rich.table import Table as RichTable

    if isinstance(view, Fields):
        item = (
            view.item.model_dump(mode="json", by_alias=True)
            if isinstance(view.item, BaseModel)
            else view.item
        )
        names = view.only or tuple(item)
        view = Table(
            [(name, item.get(name)) for name in names],
            [Column("field", lambda row: row[0], wrap=False), Column("value", lambda row: row[1])],
        )
    rows = list(view.rows)
    if not rows:
        return _text(view.empty, "dim")
    total = view.total[1] if view.total else None
    grid = RichTable(
        box=box.SIMPLE,  # a rule under the headers (and over a total), no other lines: easy to copy
        header_style="bold",
        footer_style="bold",
        show_edge=False,
        pad_edge=False,
        show_footer=view.total is not None,
    )
    for number, column in enumerate(view.columns):
        values = [column.of(row) for row in [*rows, *([total] if view.total else [])]]
        numeric = any(v is not None for v in values) and all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        )
        footer = "" if not view.total else view.total[0] if number == 0 else _cell(column, total)
        grid.add_column(
            column.header,
            footer=footer,
            justify="right" if numeric else "left",
            no_wrap=numeric or not column.wrap,  # a number is never folded
            overflow="fold" if column.wrap and not numeric else "ellipsis",
        )
    for row in rows:
        grid.add_row(*(_cell(column, row) for column in view.columns))
    return grid


def _cell(column: Column, row: Any):
    value = column.of(row)
    written = (column.format or cell)(value)
    style = column.style.get(str(value)) if column.style and value is not None else None
    return _text(written, style)

"""The benchmark table: one line per issue-14 row, printed with rich and written as Markdown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from bench.ws_load import LoadResult

__all__ = [
    "COLUMNS",
    "Line",
    "cpu_split",
    "fmt_load",
    "fmt_ms",
    "markdown_table",
    "print_table",
    "ratio",
]

COLUMNS = ("sockgate", "serverless-offline 13", "bare aiohttp")


@dataclass
class Line:
    """One row of the table: a value per column, a ratio, the target and whether it was met."""

    row: str
    measure: str
    cells: dict[str, str] = field(default_factory=dict)
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or nothing to judge


def fmt_ms(value: float) -> str:
    """Milliseconds with sensible precision; an em dash for no value."""
    if value is None or math.isnan(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def cpu_split(result: LoadResult) -> tuple[float, float, float]:
    """Server CPU µs per answered message: (gateway, workers, total). The gateway is the main
    process; the workers are every other process of the server's tree. NaN when not metered."""
    total = result.cpu_us_per_message(result.server_cpu_s)
    gateway = result.cpu_us_per_message(result.main_cpu_s)
    workers = total - gateway  # read a moment apart from the tree: can be a hair negative
    return gateway, 0.0 if workers < 0 else workers, total


def fmt_load(result: LoadResult | None, *, rate: bool = True) -> str:
    """`msg/s · p50 · p99 · errors` of a load run, then its server CPU per message split into
    gateway and workers."""
    if result is None:
        return "—"
    parts = []
    if rate:
        parts.append(f"{result.rate:,.0f} msg/s")
    parts += [f"p50 {fmt_ms(result.p50)}", f"p99 {fmt_ms(result.p99)}", f"errors {result.errors}"]
    text = " · ".join(parts)
    gateway, workers, total = cpu_split(result)
    if not math.isnan(total):
        text += f"\nCPU µs/msg: gateway {gateway:,.0f} + workers {workers:,.0f} = {total:,.0f}"
    return text


def ratio(numerator: float | None, denominator: float | None, style: str = "x") -> str:
    """`2.4x` or `48%`; an em dash when either side is missing."""
    if not numerator or not denominator or math.isnan(numerator) or math.isnan(denominator):
        return "—"
    value = numerator / denominator
    return f"{value:.0%}" if style == "%" else f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def _verdict(met: bool | None) -> str:
    return "—" if met is None else "PASS" if met else "FAIL"


def print_table(lines: list[Line], console: Console | None = None, title: str = "") -> None:
    """The table on the terminal."""
    console = console or Console(width=200)
    table = Table(title=title, show_lines=True)
    for name in ("#", "measure", *COLUMNS, "ratio", "target", "met"):
        table.add_column(name, overflow="fold")
    for line in lines:
        style = {True: "green", False: "red"}.get(line.met)  # type: ignore[call-overload]
        table.add_row(
            line.row,
            line.measure,
            *(line.cells.get(c, "—") for c in COLUMNS),
            line.ratio,
            line.target,
            _verdict(line.met),
            style=style,
        )
    console.print(table)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def markdown_table(lines: list[Line]) -> list[str]:
    """The table as Markdown lines."""
    header = ["#", "measure", *COLUMNS, "ratio", "target", "met"]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for line in lines:
        cells = [
            line.row,
            line.measure,
            *(line.cells.get(c, "—") for c in COLUMNS),
            line.ratio,
            line.target,
            f"**{_verdict(line.met)}**" if line.met is not None else "—",
        ]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return out

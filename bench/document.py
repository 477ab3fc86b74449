"""docs/performance.md: the latest table, the machine, the command, the profiles, the analysis."""

from __future__ import annotations

import os
from pathlib import Path

from bench.profiling import summarise
from bench.report import Line, markdown_table
from bench.results import ServerResults, Settings

__all__ = ["assemble", "write_document"]

ANALYSIS = Path(__file__).resolve().parent / "ANALYSIS.md"  # written by hand, after a run
LAST_RUN = Path(__file__).resolve().parent / "profiles" / "last-run.md"  # written by each run
PAGE = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def _counts(counts: tuple[int, ...]) -> str:
    ordered = [str(n) for n in sorted(counts)]
    return ordered[0] if len(ordered) == 1 else f"{', '.join(ordered[:-1])} and {ordered[-1]}"


def _settings_text(s: Settings) -> str:
    counts = _counts(s.loop_clients)
    return (
        "How each row ran. The three servers run on the same machine as the client, one at a "
        "time except where runs are interleaved. Closed loops (rows 1 and 2, one line per "
        f"route and client count: {counts} clients): every client first exchanges one message "
        "(allowed 30 s, so handler processes are started: a warm server), then "
        f"{s.warmup:g} s of warm-up and {s.seconds:g} s measured; a reply later than 6 s "
        "(serverless-offline's Lambda timeout), or different from the message, is an error "
        f"and ends that client. Each route runs {s.repeats} times at each client count, "
        "the runs of the servers interleaved at the same count (bare aiohttp for the two-way "
        "route, sockgate, serverless-offline, again), and the best run of each is shown with "
        "the errors of all its runs. The order is two-way then @connections at "
        f"{sorted(s.loop_clients)[0]} clients, then the same at the next count: "
        "serverless-offline takes all its narrow runs before its wide ones, since a wide run "
        "can leave it broken and leaves its python3 processes behind; it is stopped after the "
        "closed loops. Each line judges sockgate against serverless-offline at the same "
        "client count; bare aiohttp (no handler) is shown for reference. CPU per message is "
        "what the server's processes used (`/proc/PID/stat`) over the whole run, warm-up "
        "included, per answered message, split into the gateway (the main process: `sockgate "
        "dev`; Node for serverless-offline; bare aiohttp's only process) and the workers "
        "(every other process of the server's tree: sockgate's handler workers and table "
        "service; serverless-offline's python3 handler processes, its table service running "
        "apart and unused by these routes). Burst (row 3): on a function never called before "
        f"(sockgate keeps one prewarmed worker per function), {s.burst_clients} clients "
        f"connect at once ($connect runs for each) and send {s.burst_messages} messages each. "
        f"Fan-out (row 4): {s.subscribers:,} clients connect (8 at a time) and join a room "
        f"through the `subscribe` route (a PutItem each); then {s.fanout_rounds} rounds, each "
        "timed from the sender's message to the last subscriber's copy; subscribers read in a "
        "protocol callback (`bench/raw_ws.py`) so that the client costs little CPU per "
        "delivery; CPU per delivery is measured for each process during the rounds. "
        "serverless-offline is restarted before its burst and before its fan-out (after a "
        "Lambda timeout it answers requests with other requests' replies until restarted). "
        f"Connections (row 5): {s.connections:,} opened 100 at a time by one client process "
        "with a handshake-only client, on a service without $connect; RSS is VmRSS of the "
        "server process before and after."
    )


def _load_warning(load: tuple[str, str]) -> list[str]:
    # Only the load before the run says whether others used the machine: the one after counts
    # the run's own processes (serverless-offline leaves hundreds of python3 behind).
    cpus = len(os.sched_getaffinity(0))
    before = float(load[0].split()[0])
    if before < cpus:
        return []
    return [
        f"- **The machine was busy** (load average {before:.1f} on {cpus} CPUs before the run): "
        "other processes took CPU time from every server, so absolute figures are low and noisy. "
        "Ratios between runs that sat side by side (the servers of each closed-loop line, "
        "interleaved) hold best; CPU time per message is the figure least affected."
    ]


def write_document(
    path: Path,
    *,
    lines: list[Line],
    machine: list[tuple[str, str]],
    command: str,
    started: str,
    minutes: float,
    load: tuple[str, str],
    settings: Settings,
    servers: list[ServerResults],
    extra: list[tuple[str, str]] | None = None,
) -> None:
    """Write the whole page."""
    out = [
        "# Performance",
        "",
        "sockgate's gateway path measured side by side with serverless-offline 13 (Serverless "
        "Framework 3, the same `serverless.yml` and the same Python handlers, "
        "`bench/services/echo/`) and a bare aiohttp WebSocket echo server, in one run on one "
        "machine, driven by one Python client (websockets). This page is written by the run.",
        "",
        f"- Command: `{command}` (the `bench` target of the Makefile)",
        f"- Run: {started}, {minutes:.1f} min; load average before {load[0]}, after {load[1]}",
        *_load_warning(load),
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in machine),
        "",
        "## Results",
        "",
        *markdown_table(lines),
        "",
        _settings_text(settings),
        "",
    ]
    notes = [f"- {s.name}: {note}" for s in servers for note in s.notes]
    if notes:
        out += ["Notes from the run:", "", *notes, ""]
    profiled = [(s, key, prof) for s in servers for key, prof in s.profiles.items()]
    if profiled:
        out += [
            "## Where the time goes (py-spy, sampling the gateway and its children)",
            "",
            "Shares of busy samples (idle time is not sampled); `self` is time in the function "
            "itself, C code included (py-spy attributes a C call to its Python caller). Raw "
            "collapsed stacks are in `bench/profiles/`.",
            "",
        ]
        for _, key, (profile, roles) in profiled:
            out += [f"### {key} ({profile.samples:,} samples)", "", *summarise(profile, roles), ""]
    for title, text in extra or []:
        out += [f"## `{title}`", "", "```", text, "```", ""]
    measured = _measured_part(path)
    measured.parent.mkdir(parents=True, exist_ok=True)
    measured.write_text("\n".join(out))
    assemble(path)


def _measured_part(page: Path) -> Path:
    """Where a run keeps the measured part of `page`: bench/profiles/last-run.md for the
    project's page, beside any other page (a run with --output leaves the project's alone)."""
    if page.resolve() == PAGE.resolve():
        return LAST_RUN
    return page.with_name(page.stem + ".measured.md")


def assemble(path: Path) -> None:
    """Write the page: the last run's measured part, then the hand-written analysis."""
    parts = [_measured_part(path).read_text().strip()]
    if ANALYSIS.exists():
        parts.append(ANALYSIS.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(parts) + "\n")

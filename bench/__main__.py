"""`python -m bench` (`make bench`): every row of issue 14, one table, docs/performance.md.

Servers take turns, never loading the machine together: the bare aiohttp echo server's other
rows, then sockgate's, whose closed-loop runs (rows 1 and 2, at 5 and at 50 clients) alternate
with bare aiohttp's and serverless-offline's at the same client count, then serverless-offline's
other rows. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bench import machine
from bench.document import assemble, write_document
from bench.floor import in_process_floor_us
from bench.peer import ensure_peer
from bench.procs import raise_open_files
from bench.report import print_table
from bench.results import REPO, ServerResults, Settings, first_line
from bench.rows import Floors, build_lines
from bench.runs import AiohttpServer, PeerLoops, run_aiohttp, run_peer_rest
from bench.sockgate_run import run_sockgate

console = Console(width=200, stderr=False)


def _log(message: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}", highlight=False)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--no-peer", action="store_true", help="skip serverless-offline")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles")
    parser.add_argument(
        "--output", type=Path, default=REPO / "docs" / "performance.md", help="page to write"
    )
    parser.add_argument(
        "--extra",
        action="store_true",
        help="also run bench/tables.py and bench/streams.py (if present) and append their tables",
    )
    parser.add_argument(
        "--assemble",
        action="store_true",
        help="only rebuild the page from the last run and bench/ANALYSIS.md (no measuring)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to this long for the 1-minute load average to fall below nproc",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    if args.quick:
        return Settings(
            seconds=2.0,
            subscribers=200,
            fanout_rounds=2,
            connections=2000,
            profile=not args.no_profile,
            profile_seconds=2.0,
        )
    return Settings(profile=not args.no_profile)


async def _run(
    settings: Settings, args: argparse.Namespace, work_dir: Path
) -> tuple[list[ServerResults], str]:
    """Measure every server; also return the peer's versions (or why it is missing)."""
    peer = ServerResults("serverless-offline")
    install = None
    if args.no_peer:
        peer.problem = "skipped (--no-peer)"
    else:
        install = await asyncio.to_thread(ensure_peer, _log)
        _log(f"peer: {install.versions or install.problem}")
    reference: AiohttpServer | None = AiohttpServer(work_dir)
    try:
        await reference.start()  # type: ignore[union-attr]
        aio = await run_aiohttp(settings, reference, _log)  # type: ignore[arg-type]
    except RuntimeError as exc:
        reference = None
        aio = ServerResults("bare aiohttp", problem=first_line(exc))
    try:
        loops = PeerLoops(settings, install, work_dir, peer, _log) if install else None
        companion = loops if loops is not None and await loops.start() else None
        try:
            sg = await run_sockgate(settings, reference, aio, _log, companion=companion)
        finally:
            if loops is not None:
                await loops.finish()  # if sockgate did not (it stops serverless-offline once)
    finally:
        if reference is not None:
            reference.stop()
    if install is not None:
        await run_peer_rest(settings, install, work_dir, peer, _log)
    versions = (install.versions or install.problem) if install else "skipped"
    return [sg, peer, aio], versions


def _extra_sections(timeout: float = 240.0) -> list[tuple[str, str]]:
    """Run the other benchmark scripts in bench/ (owned by their areas) and keep their output."""
    sections = []
    for name in ("tables.py", "streams.py", "inspector.py"):
        script = REPO / "bench" / name
        if not script.exists():
            continue
        _log(f"extra section: python bench/{name}")
        try:
            done = subprocess.run(
                [sys.executable, str(script)],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            text = done.stdout.strip() or done.stderr.strip()[-2000:]
        except subprocess.TimeoutExpired:
            text = f"(did not finish in {timeout:.0f} s)"
        sections.append((f"python bench/{name}", text))
    return sections


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.assemble:
        assemble(args.output)
        return 0
    settings = _settings(args)
    os.environ.pop("WS_ENDPOINT", None)  # only serverless-offline gets one
    limit = raise_open_files()
    if limit < settings.connections + 1000:
        _log(f"open-file limit is {limit}: row 5 will be short of {settings.connections:,}")
    if args.wait_quiet > 0:
        cpus = len(os.sched_getaffinity(0))
        _log(f"waiting up to {args.wait_quiet:.0f} s for a load average under {cpus}")
        deadline = time.monotonic() + args.wait_quiet
        while os.getloadavg()[0] >= cpus and time.monotonic() < deadline:
            time.sleep(5)
    started, clock, load_before = datetime.now(UTC), time.monotonic(), _load()
    work_dir = Path(tempfile.mkdtemp(prefix="sockgate-bench-"))
    _log(f"logs in {work_dir}")
    (sg, peer, aio), peer_versions = asyncio.run(_run(settings, args, work_dir))
    _log("boto3 floors (in-process)")
    floors = Floors(*(in_process_floor_us(e) for e in ("before-send", "unsigned", "before-call")))
    lines = build_lines(
        sg,
        peer,
        aio,
        floors,
        loop_clients=settings.loop_clients,
        burst_clients=settings.burst_clients,
        subscribers=settings.subscribers,
        connections=settings.connections,
    )
    extra = _extra_sections() if args.extra else []
    minutes = (time.monotonic() - clock) / 60
    print_table(lines, console, title="sockgate benchmarks (issue 14)")
    for title, text in extra:
        console.print(f"\n{title}\n{text}", highlight=False)
    for server in (sg, peer, aio):
        for note in server.notes:
            console.print(f"note ({server.name}): {note}", highlight=False)
    write_document(
        args.output,
        lines=lines,
        machine=machine.describe(peer_versions),
        command=" ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        minutes=minutes,
        load=(load_before, _load()),
        settings=settings,
        servers=[sg, peer, aio],
        extra=extra,
    )
    _log(f"wrote {args.output} ({minutes:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The one door to other libraries' private internals: one module per library.

sockgate uses botocore, aiohttp and asyncio below their public API in a few places (the
management fast path, frame-level quotas, pipe streams). Every such use is a small function or
class here, so that what depends on a library's internals is listed in one file per library, and
`tests/compat/` checks each against the installed version, failing with that version in the
message when an upgrade moves something. `pyproject.toml` bounds each library at the newest
release tested.

Nothing here imports the rest of sockgate.
"""

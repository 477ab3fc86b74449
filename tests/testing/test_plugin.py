"""The plugin as a user meets it: installed by its entry point, run by pytest (pytester)."""

from __future__ import annotations

from pathlib import Path

import pytest

PROBE = Path(__file__).parent / "probe"

USER_TESTS = f"""
PROBE = {str(PROBE)!r}

def test_one(sockgate_service):
    svc = sockgate_service(PROBE)
    with svc.connect() as ws:
        ws.send_json({{"say": "hi"}})
        assert ws.receive_json() == {{"said": "hi"}}
    svc.table("Notes").put_item(Item={{"id": "left-over", "kind": "mark"}})

def test_two_starts_clean(sockgate_service):
    svc = sockgate_service(PROBE)
    assert svc.table("Notes").scan()["Items"] == []
    assert svc.connection_ids() == []

def test_failure_shows_the_logs(sockgate_service):
    svc = sockgate_service(PROBE)
    svc.invoke("slow", {{"seconds": 0}})
    assert False, "on purpose"
"""


def test_a_users_tests_run_and_start_clean(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*- sockgate logs: probe -*", "START RequestId: *", "END RequestId: *", "REPORT *"]
    )


def test_module_scope_starts_one_service_per_module(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsockgate_scope = module\n")
    body = f"""
import os
PROBE = {str(PROBE)!r}

def test_port(sockgate_service):
    url = sockgate_service(PROBE).websocket_url
    with open("urls.txt", "a") as urls:
        urls.write(url + "\\n")
"""
    pytester.makepyfile(test_a=body, test_b=body)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    urls = (pytester.path / "urls.txt").read_text().split()
    assert len(set(urls)) == 2


def test_a_bad_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsockgate_scope = forever\n")
    pytester.makepyfile(test_x="def test_x(): pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*sockgate_scope is 'forever'; use session or module.*"])

"""Shared fixtures: the mocked graphs of the real stacks, built once per session."""

import copy
import os
import subprocess
import sys

import pytest

from tests.helpers import stack_settings
from tools.preview import ROOT, build_graph

_CACHE: dict[str, dict] = {}


def graph_of(stack: str) -> dict:
    """The mocked graph of a real stack file (cached: the program is deterministic)."""
    if stack not in _CACHE:
        _CACHE[stack] = build_graph(stack)
    return _CACHE[stack]


def graph_with(stack: str, **changes) -> dict:
    """The graph of a real stack with settings sections replaced, e.g. network={...}."""
    settings = copy.deepcopy(stack_settings(stack))
    for key, value in changes.items():
        settings[key] = value
    return build_graph(stack, settings=settings)


@pytest.fixture(scope="session")
def staging() -> dict:
    return graph_of("staging")


@pytest.fixture(scope="session")
def prod() -> dict:
    return graph_of("prod")


@pytest.fixture(params=["staging", "prod"])
def stack_graph(request) -> dict:
    """Each real stack in turn."""
    return graph_of(request.param)


# The preview CLI pays Pulumi's imports (~5-8 s) in its own process. When the test that needs it is selected,
# start it at collection so it runs on the other core while the suite goes on; the test collects its output.
CLI_TEST = "test_cli_json_is_byte_identical_across_runs"
_CLI: dict[str, subprocess.Popen] = {}


def pytest_collection_modifyitems(session, config, items):
    # Under pytest-xdist every worker collects every test: the workers already fill both cores, so the test runs
    # its CLI when it comes instead of each worker starting one that only one of them would read.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any(item.name == CLI_TEST for item in items):
        _CLI["prod"] = subprocess.Popen([sys.executable, "-m", "tools.preview", "prod", "--json"], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def pytest_sessionfinish(session, exitstatus):
    for process in _CLI.values():
        if process.poll() is None:
            process.kill()


@pytest.fixture
def prod_cli_json() -> str:
    """stdout of `python -m tools.preview prod --json`, run in its own process."""
    process = _CLI.pop("prod", None) or subprocess.Popen(
        [sys.executable, "-m", "tools.preview", "prod", "--json"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


# The DataTier alone (network, cluster, two service groups, the data tier) from each real stack's settings: what
# the data tests assert, independent of how __main__.py composes the program.
@pytest.fixture(scope="session")
def data_staging() -> dict:
    from tests.data_tier_graph import data_graph

    return data_graph("staging")


@pytest.fixture(scope="session")
def data_prod() -> dict:
    from tests.data_tier_graph import data_graph

    return data_graph("prod")


@pytest.fixture(params=["staging", "prod"])
def data_stack(request) -> dict:
    """Each real stack's data tier in turn."""
    from tests.data_tier_graph import data_graph

    return data_graph(request.param)

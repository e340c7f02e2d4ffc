"""Shared fixtures: the mocked graphs of the real stacks, built once per session."""

import copy

import pytest

from tests.helpers import stack_settings
from tools.preview import build_graph

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

"""Assertion helpers in the spirit of CDK's Template assertions: find resources, match inputs deeply."""

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


class Absent:
    """Marker: the key must not be present."""


ABSENT = Absent()


def stack_settings(stack: str) -> dict:
    """The raw `nodeapi:settings` object of a real stack file."""
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["nodeapi:settings"]


def resources(graph: dict, type_: str) -> list[dict]:
    """All resources of one type token."""
    return [r for r in graph["resources"] if r["type"] == type_]


def one(graph: dict, type_: str, name: str | None = None) -> dict:
    """The single resource of a type (and name); fails with what exists otherwise."""
    found = [r for r in resources(graph, type_) if name is None or r["name"] == name]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r['name'] for r in resources(graph, type_)]}"
    return found[0]


def by_urn(graph: dict, urn: str) -> dict:
    """The resource with a URN."""
    return next(r for r in graph["resources"] if r["urn"] == urn)


def children(graph: dict, component_urn: str) -> list[dict]:
    """Direct children of a component."""
    return [r for r in graph["resources"] if r["parent"] == component_urn]


def parsed(value: Any) -> Any:
    """JSON strings (IAM policies, container definitions) as data."""
    return json.loads(value) if isinstance(value, str) else value


def matches(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Deep partial match: dicts may have extra keys, lists match element-wise; returns mismatches."""
    if isinstance(expected, Absent):
        return [f"{path}: expected absent, got {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if isinstance(value, Absent):
                if key in actual:
                    problems.append(f"{path}.{key}: expected absent, got {actual[key]!r}")
            elif key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += matches(actual[key], value, f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        return [p for i, (a, e) in enumerate(zip(actual, expected)) for p in matches(a, e, f"{path}[{i}]")]
    return [] if actual == expected else [f"{path}: expected {expected!r}, got {actual!r}"]


def assert_inputs(resource: dict, expected: dict) -> None:
    """Assert a resource's inputs deep-partially match `expected`."""
    problems = matches(resource["inputs"], expected)
    assert not problems, f"{resource['type']} {resource['name']}:\n  " + "\n  ".join(problems)


def mock_id(graph: dict, type_: str, name: str) -> str:
    """The id the mocks gave a resource (what other resources' inputs reference)."""
    from tools.mock_outputs import outputs_for

    resource = one(graph, type_, name)
    return outputs_for(type_, name, resource["inputs"], resource["inputs"].get("region", "us-east-1"), "123456789012")[0]


def mock_state(graph: dict, type_: str, name: str) -> dict:
    """The full mocked state of a resource (arn, name, endpoints...)."""
    from tools.mock_outputs import outputs_for

    resource = one(graph, type_, name)
    return outputs_for(type_, name, resource["inputs"], resource["inputs"].get("region", "us-east-1"), "123456789012")[1]


def settings_error(stack: str, change) -> str:
    """The SettingsError message for a real stack's settings after `change(raw)` (fails if none is raised)."""
    import copy

    import pytest

    from settings import SettingsError, parse_settings

    raw = copy.deepcopy(stack_settings(stack))
    change(raw)
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, "nodeapi:settings (Pulumi.prod.yaml)")
    return str(caught.value)

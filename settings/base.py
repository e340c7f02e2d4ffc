"""Shared pieces of the stack settings model: the section base class and rule errors."""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

SETTINGS_KEY = "settings"


class Section(BaseModel):
    """Base of every settings section: camelCase keys, unknown keys refused, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        """Rules that need the whole stack (e.g. production minimums): (path in section, value, allowed)."""
        return []


def rule_error(path: str, value: Any, allowed: str) -> PydanticCustomError:
    """An error for a rule spanning keys, naming the key path, the value given and what is allowed."""
    return PydanticCustomError(
        "settings_rule",
        "{path}: got {value}; {allowed}",
        {"path": path, "value": show_value(value), "allowed": allowed},
    )


def show_value(value: Any) -> str:
    """Render a value the way the user wrote it in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return str(value)

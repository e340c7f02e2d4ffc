"""Reading the settings key and turning validation errors into one clear message."""

import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .base import SETTINGS_KEY, show_value
from .model import StackSettings


class SettingsError(Exception):
    """Bad stack settings: the message names each key path, the value given and what is allowed."""


def parse_settings(raw: Any, source: str) -> StackSettings:
    """Validate raw settings (the YAML object) or raise SettingsError."""
    if raw is None:
        raise SettingsError(f"{source}: required key is missing (see README, 'Stack settings')")
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: got {show_value(raw)}; expected a mapping of settings")
    try:
        return StackSettings.model_validate(raw)
    except ValidationError as exc:
        lines = [describe_error(err) for err in exc.errors()]
        raise SettingsError(f"Invalid settings in {source}:\n" + "\n".join(f"  {line}" for line in lines)) from None


def load_settings(project: str) -> StackSettings:
    """Read `<project>:settings` from the running stack's config."""
    import pulumi

    raw = pulumi.Config(project).get_object(SETTINGS_KEY)
    return parse_settings(raw, f"{project}:{SETTINGS_KEY} (Pulumi.{pulumi.get_stack()}.yaml)")


def describe_error(err: dict, root: type[BaseModel] = StackSettings) -> str:
    """One line for one pydantic error: `path: got value; what is allowed` (`root`: the model validated)."""
    loc = err["loc"]
    path = _path(loc)
    kind = err["type"]
    if kind in ("settings_rule", "settings_rules"):
        return err["msg"].replace("\n", "\n  ")
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc[:-1], root)) or "none"
        return f"{path}: unknown key (got {show_value(err['input'])}); allowed keys here: {allowed}"
    message = err["msg"].removeprefix("Value error, ")
    return f"{path}: got {show_value(err['input'])}; {message[:1].lower()}{message[1:]}"


def _path(loc: tuple) -> str:
    """`network.cidr`, `service.workers[0].cpu`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _allowed_keys(loc: tuple, root: type[BaseModel] = StackSettings) -> list[str]:
    """The keys a model accepts at `loc`, by walking the settings model (list indexes and dict keys skipped)."""
    model: Any = root
    keyed = False
    for part in loc:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        model, keyed = _inner_model(field.annotation), _is_mapping(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or n for n, f in model.model_fields.items())
    return []


def _is_mapping(annotation: Any) -> bool:
    """Whether a field holds a dict (through Optional[...] / Annotated[...]): the next path part is its key."""
    if typing.get_origin(annotation) is dict:
        return True
    return any(_is_mapping(arg) for arg in typing.get_args(annotation) if typing.get_origin(annotation) is not list)


def _inner_model(annotation: Any) -> Any:
    """The model inside Optional[...] / list[...] / dict[str, ...], or the annotation itself."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation

"""Reading the settings key and turning validation errors into one clear message."""

import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .base import SETTINGS_KEY, show_value
from .model import StackSettings


# The file the settings come from when it is not Pulumi.<stack>.yaml (`tools.preview --config-file` sets it).
config_file_label: str | None = None


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

    source = f"{project}:{SETTINGS_KEY} ({config_file_label or f'Pulumi.{pulumi.get_stack()}.yaml'})"
    try:
        raw = pulumi.Config(project).get_object(SETTINGS_KEY)
    except pulumi.ConfigTypeError:
        raise SettingsError(f"{source}: got a plain string; expected a mapping of settings") from None
    return parse_settings(raw, source)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a Pulumi stack file; SettingsError naming the file, the line and what is wrong."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read it ({exc.strerror})") from None
    loader = _unique_key_loader()
    try:
        root = yaml.compose(text, Loader=loader)
        document = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise SettingsError(_yaml_problem(path, exc)) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise SettingsError(f"{path}: the document is {_kind(document)}; a stack file is a mapping with a "
                            "'config:' key")
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        line = next(v.start_mark.line + 1 for k, v in root.value if k.value == "config")
        raise SettingsError(f"{path}:{line}: 'config' is {_kind(config)}; it must be a mapping of 'key: value' "
                            "lines, e.g. 'nodeapi:settings:' with the settings indented below")
    return config


def _yaml_problem(path: Path, exc: Any) -> str:
    """`file:line:column: what is wrong`, with the fix for the usual mistakes."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = exc.problem or exc.context or "invalid YAML"
    hint = ""
    if "\t" in problem or "'\\t'" in problem:
        hint = " (YAML indents with spaces, not tabs)"
    elif "<block" in problem:
        hint = " (check the indentation: keys of one mapping line up)"
    context = ""
    if exc.problem and exc.context and exc.context_mark:
        context = f" ({exc.context} at line {exc.context_mark.line + 1})"
    return f"{where}: invalid YAML: {problem}{hint}{context}"


def _kind(value: Any) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}
    return names.get(type(value), type(value).__name__)


def _unique_key_loader():
    """A SafeLoader that refuses duplicate keys, as Pulumi's own YAML reader does (PyYAML keeps the last)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, typing.Hashable):
                    continue  # the base class reports unhashable keys
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first at line {seen[key]})", key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


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

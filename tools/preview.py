"""Offline preview: run the real `__main__.py` under Pulumi mocks and show what it declares.

    python -m tools.preview <stack>                 resource tree grouped by component
    python -m tools.preview <stack> --json          the whole graph as deterministic JSON
    python -m tools.preview <stack> --diff BASE.json  Markdown diff against a base graph, with the cost line
    python -m tools.preview <stack> --cost          itemised monthly cost estimate (docs/cost.md)
    python -m tools.preview <stack> --config-file FILE ...  render FILE instead of Pulumi.<stack>.yaml

No Pulumi CLI, no credentials: `secure:` config values are shown as `[secret]`.
"""

import argparse
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
STACK_TYPE = "pulumi:pulumi:Stack"


class PreviewError(Exception):
    """A problem with the project files or the program, shown as one message."""

    def __init__(self, message: str, exit_code: int = 1, declared: int = 0):
        super().__init__(message)
        self.exit_code = exit_code
        self.declared = declared  # resources registered before the error (0 for bad settings)


def load_project(root: Path = ROOT) -> str:
    """The project name from Pulumi.yaml."""
    return yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]


def available_stacks(root: Path = ROOT) -> list[str]:
    """Stacks that have a Pulumi.<stack>.yaml."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def stack_file(stack: str, root: Path = ROOT, config_file: Path | None = None) -> Path:
    """The stack's config file: `config_file` (as `pulumi --config-file`), else Pulumi.<stack>.yaml."""
    if config_file is not None:
        return config_file
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise PreviewError(f"no stack {stack!r}: {path.name} not found; stacks: {', '.join(available_stacks(root))}", 2)
    return path


def load_stack_config(stack: str, project: str, root: Path = ROOT,
                      config_file: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """Config as the engine passes it (strings, objects as JSON) and the keys that are secret."""
    from settings.loader import SettingsError, read_stack_file

    try:
        document_config = read_stack_file(stack_file(stack, root, config_file))
    except SettingsError as exc:
        raise PreviewError(str(exc), 2) from None
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in document_config.items():
        full_key = key if ":" in str(key) else f"{project}:{key}"
        masked, had_secret = _mask_secure(value)
        if had_secret:
            secret_keys.append(full_key)
        config[full_key] = _engine_string(masked)
    return config, secret_keys


def _engine_string(value: Any) -> str:
    """Config as the engine hands it to programs: scalars as strings, objects and lists as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _mask_secure(value: Any) -> tuple[Any, bool]:
    """Replace `{secure: ciphertext}` values (which need the secrets provider) with `[secret]`."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return "[secret]", True
        items = {k: _mask_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        items = [_mask_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def run_program(stack: str, root: Path = ROOT, settings: dict | None = None, config_file: Path | None = None):
    """Run the program under mocks; returns (project, monitor, outputs). `settings` replaces the file's."""
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from .mocks import AwsMocks, RecordingMonitor

    project = load_project(root)
    config, secret_keys = load_stack_config(stack, project, root, config_file)
    if settings is not None:
        config[f"{project}:settings"] = json.dumps(settings)
    runtime_settings.reset_options(project=project, stack=stack)
    set_all_config(config, secret_keys)
    mocks = AwsMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    sys.path.insert(0, str(root))
    from settings import loader

    loader.config_file_label = str(config_file) if config_file else None
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(root / "__main__.py"), run_name="__main__")))
        outputs = _sync_await(_resolve_outputs(runtime_settings.get_root_resource().outputs))
    except pulumi.RunError as exc:
        declared = sum(r.type != STACK_TYPE for r in monitor.registrations.values())
        raise PreviewError(str(exc), 2, declared) from None
    finally:
        sys.path.remove(str(root))
        loader.config_file_label = None
    return project, monitor, outputs


def record(build, *, project: str = "nodeapi", stack: str = "test", config: dict[str, str] | None = None) -> dict:
    """Run `build()` (which declares resources) under the recording mocks; returns the graph dict."""
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from .mocks import AwsMocks, RecordingMonitor

    runtime_settings.reset_options(project=project, stack=stack)
    set_all_config(config or {}, [])
    mocks = AwsMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    _sync_await(run_pulumi_func(build))
    outputs = _sync_await(_resolve_outputs(runtime_settings.get_root_resource().outputs))
    return _graph(project, stack, monitor, outputs)


async def _resolve_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """Stack outputs as plain values, secrets masked."""
    import pulumi

    from .mocks import SECRET, plain

    resolved = {}
    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        resolved[name] = SECRET if await output.is_secret() else plain(await output.future())
    return resolved


def build_graph(stack: str, root: Path = ROOT, settings: dict | None = None,
                config_file: Path | None = None) -> dict[str, Any]:
    """The whole graph in the `--json` shape, resources sorted by URN."""
    project, monitor, outputs = run_program(stack, root, settings, config_file)
    return _graph(project, stack, monitor, outputs)


def _graph(project: str, stack: str, monitor, outputs: dict[str, Any]) -> dict[str, Any]:
    """The `--json` shape from a monitor's registrations."""
    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "inputs": r.inputs,
            "options": r.options,
        }
        for r in sorted(monitor.registrations.values(), key=lambda r: r.urn)
        if r.type != STACK_TYPE
    ]
    return {"project": project, "stack": stack, "resources": resources, "outputs": outputs}


def to_json(graph: dict[str, Any]) -> str:
    """Deterministic JSON: sorted keys, fixed indentation."""
    return json.dumps(graph, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preview", description=__doc__.split("\n")[0])
    parser.add_argument("stack", help="stack name, e.g. staging or prod")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="project to render (default: this repo)")
    parser.add_argument("--config-file", type=Path, metavar="FILE",
                        help="stack config file to use instead of Pulumi.<stack>.yaml (as `pulumi --config-file`)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print the graph as JSON")
    mode.add_argument("--diff", metavar="BASE.json", help="print a Markdown diff against a base graph")
    mode.add_argument("--cost", action="store_true", help="print the itemised monthly cost estimate")
    args = parser.parse_args(argv)
    root, config_file = args.project_dir.resolve(), args.config_file and args.config_file.resolve()
    try:
        graph = build_graph(args.stack, root=root, config_file=config_file)
        if args.json:
            sys.stdout.write(to_json(graph))
        elif args.diff:
            sys.stdout.write(_diff(args.diff, graph, cost_overrides(args.stack, root, config_file)))
        elif args.cost:
            sys.stdout.write(_cost(graph, cost_overrides(args.stack, root, config_file)))
        else:
            from .tree import render_tree

            sys.stdout.write(render_tree(graph))
    except PreviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


def cost_overrides(stack: str, root: Path = ROOT, config_file: Path | None = None) -> dict[str, float]:
    """The stack's `cost.assumptions` (already validated by the program's settings model)."""
    from settings.cost import CostSettings

    project = load_project(root)
    config, _ = load_stack_config(stack, project, root, config_file)
    raw = json.loads(config.get(f"{project}:settings", "{}"))
    return CostSettings.model_validate(raw.get("cost") or {}).assumptions.overrides()


def _cost(graph: dict[str, Any], overrides: dict[str, float]) -> str:
    """The itemised estimate, naming the assumptions the stack overrides."""
    from .cost import estimate_graph, render_estimate

    return render_estimate(estimate_graph(graph, overrides), {k: "this stack" for k in overrides})


def _diff(base_path: str, graph: dict[str, Any], overrides: dict[str, float] | None = None) -> str:
    """Markdown diff of the graph against the graph saved at base_path, with the cost line."""
    from .cost import cost_line, estimate_graph
    from .plan_diff import render_diff

    try:
        base = json.loads(Path(base_path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PreviewError(f"cannot read base graph {base_path}: {exc}", 2) from None
    line = cost_line(estimate_graph(base, overrides), estimate_graph(graph, overrides))
    return render_diff(base, graph, cost=line)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the mock runtime's event loop and thousands of provider classes
    # have nothing to release, and tearing them down costs time and prints loop-close noise.
    os._exit(code)

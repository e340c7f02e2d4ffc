"""Pulumi mocks that answer like AWS and record every registration with its options."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from .mock_outputs import invoke_result, outputs_for

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
SECRET = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One registered resource as the engine would see it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    # Which resources each input came from (an Output's resources): e.g. a listener's `certificateArn` from the
    # certificate's validation, not from the certificate. Not in the `--json` graph; tests read it from the monitor.
    input_dependencies: dict[str, list[str]] = field(default_factory=dict)


def plain(value: Any) -> Any:
    """Inputs as JSON: secrets masked, integral floats as ints, assets by path."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.Resource):
        return getattr(value, "_name", type(value).__name__)
    if isinstance(value, (pulumi.FileAsset, pulumi.FileArchive)):
        return {"path": str(value.path)}
    if isinstance(value, pulumi.AssetArchive):
        return {"assets": sorted(value.assets)}
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}
    return value


# Data sources that read back a resource of this very program (e.g. the live weights of a listener rule).
READS_DECLARED_STATE = frozenset({"aws:lb/getListenerRule:getListenerRule"})


def declared_listener_rule(state: dict) -> dict:
    """A listener rule's state in the getListenerRule shape (blocks become lists: `forward` -> `forwards`)."""
    def forward_block(forward: dict) -> dict:
        block = {k: v for k, v in forward.items() if k != "stickiness"}
        return {**block, **({"stickinesses": [forward["stickiness"]]} if "stickiness" in forward else {})}

    actions = [{**{k: v for k, v in a.items() if k != "forward"},
                **({"forwards": [forward_block(a["forward"])]} if "forward" in a else {})}
               for a in state.get("actions", [])]
    return {**state, "actions": actions}


class AwsMocks(pulumi_mocks.Mocks):
    """Answers resource registrations and invokes with realistic, deterministic AWS values."""

    def __init__(self) -> None:
        self.provider_regions: dict[str, str] = {}
        self.calls: list[tuple[str, dict]] = []
        self.states_by_arn: dict[str, dict] = {}

    def region_of(self, provider_ref: str | None, inputs: dict | None = None) -> str:
        """The region a resource lives in: its own `region` input, else its provider's."""
        if inputs and isinstance(inputs.get("region"), str):
            return inputs["region"]
        urn = (provider_ref or "").rsplit("::", 1)[0]
        return self.provider_regions.get(urn, DEFAULT_REGION)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", dict(args.inputs)
        region = self.region_of(args.provider, args.inputs)
        resource_id, state = outputs_for(args.typ, args.name, dict(args.inputs), region, ACCOUNT_ID)
        if isinstance(state.get("arn"), str):
            self.states_by_arn[state["arn"]] = state
        return resource_id, state

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        self.calls.append((args.token, dict(args.args)))
        region = self.region_of(args.provider, args.args)
        if args.token in READS_DECLARED_STATE:
            # A lookup of a resource this program declares: AWS holds what was declared (no drift offline).
            arn = args.args.get("arn")
            if arn not in self.states_by_arn:
                raise NotImplementedError(f"mock {args.token}: no declared resource has arn {arn}")
            return declared_listener_rule(self.states_by_arn[arn])
        return invoke_result(args.token, dict(args.args), region, ACCOUNT_ID)


def skip_source_positions() -> None:
    """Offline, no engine shows where in the program a resource was declared: skip the SDK's per-registration walk
    of the Python stack (pulumi/runtime/resource.py `_get_stack_trace`), which turns every frame into a file URI and
    was about a sixth of a mocked run (deeper under pytest). The recorded graph does not contain it."""
    from pulumi.runtime import resource as runtime_resource
    from pulumi.runtime.proto import source_pb2

    runtime_resource._get_stack_trace = source_pb2.StackTrace


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request, options included."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        skip_source_positions()
        self.aws = mocks
        self.registrations: dict[str, Registration] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them: the full chain of parent types, the stack left out."""
        from pulumi.runtime.settings import get_project, get_stack

        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), type_, name])

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if response.urn in self.registrations:
            # The engine refuses a second resource with the same URN ("Duplicate resource URN"); so do the mocks.
            raise ValueError(f"Duplicate resource URN '{response.urn}'; try giving it a unique name")
        inputs = rpc.deserialize_properties(request.object)
        if request.type.startswith("pulumi:providers:") and isinstance(inputs.get("region"), str):
            self.aws.provider_regions[response.urn] = inputs["region"]
        self.registrations[response.urn] = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=None if not request.parent or request.parent.split("::")[2] == STACK_TYPE else request.parent,
            custom=bool(request.custom),
            inputs=plain(inputs),
            options=_options(request),
            outputs=plain(rpc.deserialize_properties(response.object)) if response.object else {},
            input_dependencies={key: sorted(deps.urns) for key, deps in request.propertyDependencies.items()
                                if deps.urns},
        )
        return response


def _options(request) -> dict[str, Any]:
    """The resource options the engine receives, in the preview JSON's camelCase shape."""
    implicit = {urn for deps in request.propertyDependencies.values() for urn in deps.urns}
    explicit = sorted(set(request.dependencies) - implicit - {request.parent})
    provider = request.provider.rsplit("::", 1)[0] if request.provider else None
    options = {
        "protect": bool(request.protect),
        "ignoreChanges": sorted(request.ignoreChanges),
        "dependsOn": explicit,
        "retainOnDelete": bool(request.retainOnDelete),
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "provider": provider,
    }
    # The program's own aliases (a child moved under a component...), not the type renames provider SDKs add to
    # every resource of a renamed type; recorded only when set, so graphs without them keep their shape.
    aliases = [alias for alias in map(_alias, request.aliases) if "type" not in alias.get("spec", {})]
    if aliases:
        options["aliases"] = aliases
    # Custom timeouts (e.g. how long a certificate validation may wait), also recorded only when set.
    timeouts = {kind: getattr(request.customTimeouts, kind) for kind in ("create", "update", "delete")
                if request.HasField("customTimeouts") and getattr(request.customTimeouts, kind)}
    if timeouts:
        options["customTimeouts"] = timeouts
    return options


def _alias(alias) -> dict[str, Any]:
    """An alias as the engine receives it: a full URN, or a spec (name, type, parent...)."""
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(alias)

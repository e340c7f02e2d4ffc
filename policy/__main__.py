"""CrossGuard pack `nodeapi-guardrails`: the rules of rules.py, mandatory in prod and advisory in staging.

    pulumi preview --stack prod --policy-pack policy --policy-pack-config policy/config/prod.json

The config file sets the enforcement level of every rule (`all`) and tells the per-stack rules which stack they
judge; without it the stack is the one the Pulumi CLI announces, and prod's thresholds apply when that is unknown.
"""

import os

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from rules import RULES, STACK_RULES, Rule, is_production  # the CLI runs this directory with it on sys.path

PACK_NAME = "nodeapi-guardrails"
STACK_SCHEMA = PolicyConfigSchema(
    properties={"stack": {"type": "string", "description": "the stack whose thresholds apply (prod or staging)"}}
)


def stack_of(config: dict) -> str:
    """The stack a check judges: the pack config's `stack`, else the CLI's stack, else prod (the strictest)."""
    return config.get("stack") or os.environ.get("PULUMI_STACK") or "prod"


def default_level() -> EnforcementLevel:
    """Mandatory when the CLI runs the pack for a production stack; the config file's `all` overrides it."""
    return EnforcementLevel.MANDATORY if is_production(os.environ.get("PULUMI_STACK", "")) else EnforcementLevel.ADVISORY


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    """A CrossGuard resource policy that reports each message of the rule's check."""

    def validate(args: ResourceValidationArgs, report_violation) -> None:
        for message in rule.run(args.resource_type, args.props, stack=stack_of(dict(args.get_config())),
                                protect=bool(args.opts and args.opts.protect)):
            report_violation(message)

    schema = STACK_SCHEMA if "stack" in rule.needs else None
    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    config_schema=schema)


def stack_policy(name: str, check) -> StackValidationPolicy:
    """A CrossGuard stack policy over every resource's type and inputs."""

    def validate(args: StackValidationArgs, report_violation) -> None:
        for message in check([(r.resource_type, r.props) for r in args.resources]):
            report_violation(message)

    return StackValidationPolicy(name=name, description=(check.__doc__ or "").strip(), validate=validate)


def policies() -> list:
    """Every rule as a policy, in rules.py's order."""
    return [resource_policy(rule) for rule in RULES] + [stack_policy(n, c) for n, c in STACK_RULES.items()]


if __name__ == "__main__":
    PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=default_level())

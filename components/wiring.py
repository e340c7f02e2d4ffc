"""What an app container gets from the data tier: plain variables, secrets by ARN, and the IAM to use them."""

from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass(frozen=True, kw_only=True)
class AppWiring:
    """`environment`: plain values; `secrets`: env name -> ECS `valueFrom` (secret ARN, optionally `:key:stage:`);
    `secret_arns` and `kms_key_arns`: what the execution role reads and decrypts to resolve `secrets`;
    `task_role_statements`: what the running app may call (buckets, rds-db:connect)."""

    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_arns: list[pulumi.Input[str]] = field(default_factory=list)
    kms_key_arns: list[pulumi.Input[str]] = field(default_factory=list)
    task_role_statements: list[dict[str, Any]] = field(default_factory=list)

    def merged(self, other: "AppWiring") -> "AppWiring":
        """Both wirings; a variable set by both is a programming error, not a silent override."""
        twice = sorted((set(self.environment) | set(self.secrets)) & (set(other.environment) | set(other.secrets)))
        if twice:
            raise ValueError(f"both wirings set {', '.join(twice)}")
        return AppWiring(
            environment={**self.environment, **other.environment},
            secrets={**self.secrets, **other.secrets},
            secret_arns=[*self.secret_arns, *other.secret_arns],
            kms_key_arns=_unique([*self.kms_key_arns, *other.kms_key_arns]),
            task_role_statements=[*self.task_role_statements, *other.task_role_statements],
        )


def _unique(values: list) -> list:
    """Each value once, in order: strings by value, Outputs by identity (they cannot be compared unresolved)."""
    result: list = []
    for value in values:
        if not any(value is kept or (isinstance(value, str) and value == kept) for kept in result):
            result.append(value)
    return result

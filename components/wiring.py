"""What the data tier hands every app container: plain variables, secrets by ARN, and the IAM to read them."""

from dataclasses import dataclass, field

import pulumi


@dataclass(frozen=True, kw_only=True)
class AppWiring:
    """`secrets` map env var names to ECS `valueFrom` references; the execution role may read `secret_arns`
    (decrypting with `kms_key_arns`); `task_role_statements` go on the task role."""

    environment: dict[str, pulumi.Input[str]]
    secrets: dict[str, pulumi.Input[str]]
    secret_arns: list[pulumi.Input[str]]
    kms_key_arns: list[pulumi.Input[str]]
    task_role_statements: list[dict] = field(default_factory=list)

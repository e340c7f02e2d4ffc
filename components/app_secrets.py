"""Application secrets (JWT keys...): KMS-encrypted Secrets Manager secrets with generated or configured values."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random


def secret_slug(env_name: str) -> str:
    """`JWT_REFRESH_SECRET` -> `jwt-refresh-secret` (resource and secret names)."""
    return env_name.lower().replace("_", "-")


@dataclass(frozen=True, kw_only=True)
class AppSecretsArgs:
    """`overrides`: values from Pulumi secret config, by env var name; others are generated."""

    prefix: str
    names: list[str]
    length: int
    recovery_window_days: int
    kms_key_arn: pulumi.Input[str]
    overrides: dict[str, pulumi.Output[str]] = field(default_factory=dict)


# Tags `python -m ops secrets` reads: which variable a secret feeds, whether the program generated its value,
# and the length it generates (so an operator's regeneration matches).
ENV_NAME_TAG, GENERATED_TAG, LENGTH_TAG = "nodeapi:env-name", "nodeapi:generated", "nodeapi:length"


def secret_tags(env_name: str, generated: bool, length: int) -> dict[str, str]:
    """The tags of one app secret."""
    return {ENV_NAME_TAG: env_name, GENERATED_TAG: "true" if generated else "false", LENGTH_TAG: str(length)}


class AppSecrets(pulumi.ComponentResource):
    """One secret per name; `arns` maps env var name -> secret ARN (for ECS `secrets` valueFrom).

    The value is Pulumi's only at creation: the version ignores later `secretString` changes, so a value set with
    `python -m ops secrets set` (a new AWSCURRENT version) is not reverted by the next `pulumi up`.
    """

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:secrets:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.arns: dict[str, pulumi.Output[str]] = {}
        for env_name in args.names:
            slug = secret_slug(env_name)
            if env_name in args.overrides:
                value = pulumi.Output.secret(args.overrides[env_name])
            else:
                value = random.RandomPassword(f"{name}-{slug}", length=args.length, special=False, opts=child).result
            secret = aws.secretsmanager.Secret(
                f"{name}-{slug}",
                name=f"{args.prefix}/{slug}",
                description=f"{env_name} of the application",
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                tags=secret_tags(env_name, env_name not in args.overrides, args.length),
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{slug}", secret_id=secret.id, secret_string=value,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString"]),
            )
            self.arns[env_name] = secret.arn
        self.register_outputs({"arns": self.arns})


def config_overrides(config: pulumi.Config, names: list[str]) -> dict[str, pulumi.Output[str]]:
    """Values set with `pulumi config set --secret <NAME>`; a value set in plain text is refused."""
    from pulumi.runtime.config import get_config, is_config_secret

    overrides = {}
    for env_name in names:
        if get_config(config.full_key(env_name)) is None:
            continue
        if not is_config_secret(config.full_key(env_name)):
            raise pulumi.RunError(
                f"{config.full_key(env_name)}: is set in plain text; set it with "
                f"`pulumi config set --secret {env_name}` (or remove it to generate a value)"
            )
        overrides[env_name] = config.require_secret(env_name)
    return overrides

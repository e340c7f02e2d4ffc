"""App storage settings: the S3 buckets the app's services read and write (uploads, exports, generated files)."""

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from .base import Section

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# S3 moves objects to STANDARD_IA only after they are 30 days old (S3 User Guide, "Transitioning objects using
# Amazon S3 Lifecycle": minimum storage duration before transitioning to S3 Standard-IA).
MIN_INFREQUENT_ACCESS_DAYS = 30
CORS_METHODS = Literal["GET", "PUT", "POST", "DELETE", "HEAD"]


def bucket_env_name(bucket: str) -> str:
    """`uploads` -> `UPLOADS_BUCKET`, `user-files` -> `USER_FILES_BUCKET`."""
    return f"{bucket.upper().replace('-', '_')}_BUCKET"


class LifecycleRule(Section):
    """What happens to objects under `prefix` as they age (at least one action)."""

    prefix: str = Field(default="", description="objects whose key starts with this ('' = all)")
    expire_days: int | None = Field(default=None, ge=1, description="delete current objects this old")
    noncurrent_expire_days: int | None = Field(default=None, ge=1,
                                               description="delete overwritten/deleted versions this old")
    infrequent_access_days: int | None = Field(default=None, ge=MIN_INFREQUENT_ACCESS_DAYS,
                                               description="move to STANDARD_IA at this age (30 days or more)")

    def problems(self) -> list[tuple[str, Any, str]]:
        """(key in the rule, value, what is allowed) for each broken cross-field rule."""
        if self.expire_days is None and self.noncurrent_expire_days is None and self.infrequent_access_days is None:
            return [("prefix", self.prefix,
                     "a lifecycle rule needs expireDays, noncurrentExpireDays or infrequentAccessDays")]
        if self.expire_days is not None and self.infrequent_access_days is not None \
                and self.expire_days <= self.infrequent_access_days:
            return [("expireDays", self.expire_days,
                     f"must exceed infrequentAccessDays ({self.infrequent_access_days})")]
        return []


class CorsSettings(Section):
    """Browser access (presigned uploads and downloads) from these origins."""

    allowed_origins: list[str] = Field(min_length=1, description="e.g. https://app.example.com")
    allowed_methods: list[CORS_METHODS] = Field(default=["GET", "PUT"], min_length=1)
    allowed_headers: list[str] = Field(default=["*"], description="request headers browsers may send")
    expose_headers: list[str] = Field(default=["ETag"], description="response headers scripts may read")
    max_age_seconds: int = Field(default=3000, ge=0, description="how long browsers cache the preflight")

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        bad = [o for o in value if o != "*" and not re.match(r"^https?://[^/\s]+$", o)]
        if bad:
            raise ValueError(f"not origins (scheme://host[:port], no path): {', '.join(bad)}")
        return value


class BucketSettings(Section):
    """One private, KMS-encrypted, TLS-only bucket; the services named get read/write on it alone."""

    services: list[str] = Field(default_factory=list, description="services that read and write it")
    env_name: str | None = Field(default=None, description="variable holding the bucket name (default <NAME>_BUCKET)")
    versioned: bool = Field(default=False, description="keep overwritten and deleted versions")
    backup: bool = Field(default=False, description="include in the AWS Backup plan (needs versioned: true)")
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    cors: CorsSettings | None = Field(default=None, description="browser access; absent = none")

    @field_validator("env_name")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("not an env var name (UPPER_SNAKE_CASE)")
        return value

    def problems(self) -> list[tuple[str, Any, str]]:
        """(key in the bucket, value, what is allowed) for each broken cross-field rule."""
        found = []
        # AWS Backup for S3 works on versioned buckets only (AWS Backup Developer Guide, "Amazon S3 backups").
        if self.backup and not self.versioned:
            found.append(("backup", True, "AWS Backup protects versioned buckets only: set versioned: true"))
        for index, rule in enumerate(self.lifecycle):
            found += [(f"lifecycle[{index}].{key}", value, allowed) for key, value, allowed in rule.problems()]
        return found

    def variable(self, name: str) -> str:
        """The environment variable that carries the bucket name."""
        return self.env_name or bucket_env_name(name)


class StorageSettings(Section):
    """`buckets.<name>`: the app's own buckets (backups have their own, see `backups`)."""

    buckets: dict[str, BucketSettings] = Field(default_factory=dict)

    @field_validator("buckets")
    @classmethod
    def _names(cls, value: dict) -> dict:
        bad = [name for name in value if not _NAME.match(name)]
        if bad:
            raise ValueError(f"bucket names must be 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'; "
                             f"got {', '.join(bad)}")
        variables = [bucket.variable(name) for name, bucket in value.items()]
        twice = sorted({v for v in variables if variables.count(v) > 1})
        if twice:
            raise ValueError(f"two buckets would set the same variable: {', '.join(twice)}")
        return value

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = [(f"buckets.{name}.{key}", value, allowed) for name, bucket in self.buckets.items()
                 for key, value, allowed in bucket.problems()]
        services = getattr(stack, "services", None)
        if not isinstance(services, dict):
            return found  # the stack model names no services (yet): nothing to check them against
        for name, bucket in self.buckets.items():
            unknown = [s for s in bucket.services if s not in services]
            if unknown:
                found.append((f"buckets.{name}.services", unknown,
                              f"not services of this stack; services: {', '.join(sorted(services)) or 'none'}"))
        return found

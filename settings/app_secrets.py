"""Application secrets: which Secrets Manager secrets the program creates for the app."""

from pydantic import Field, field_validator

from .base import Section


class AppSecretsSettings(Section):
    """Names are env var names; values are generated (pulumi_random) unless a Pulumi secret config overrides."""

    names: list[str] = Field(default=["JWT_SECRET", "JWT_REFRESH_SECRET"], description="env var names of the secrets")
    length: int = Field(default=64, ge=32, le=4096, description="length of generated values")
    recovery_window_days: int = Field(default=30, ge=7, le=30, description="Secrets Manager recovery window")

    @field_validator("names")
    @classmethod
    def _env_names(cls, value: list[str]) -> list[str]:
        import re

        bad = [n for n in value if not re.match(r"^[A-Z][A-Z0-9_]*$", n)]
        if bad:
            raise ValueError(f"not env var names (UPPER_SNAKE_CASE): {', '.join(bad)}")
        if len(set(value)) != len(value):
            raise ValueError("names must be unique")
        return value

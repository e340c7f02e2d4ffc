"""Application secrets: which Secrets Manager secrets the program creates for the app."""

from pydantic import Field

from .base import Section


class AppSecretsSettings(Section):
    """How app secrets (app.secrets, services.<name>.secrets) are made: generated unless a Pulumi secret config sets them."""

    length: int = Field(default=64, ge=32, le=4096, description="length of generated values")
    recovery_window_days: int = Field(default=30, ge=7, le=30, description="Secrets Manager recovery window")

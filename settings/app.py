"""The app as a whole: its name (prefix of every physical name) and what every service and job receives."""

import re

from pydantic import Field, field_validator

from contract.names import check_app_name

from .base import Section
from .services import EnvironmentVariables, SecretNames

_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


class AppSettings(Section):
    """Name, app-wide environment and the app-wide secrets (generated unless set as Pulumi secrets)."""

    name: str | None = Field(default=None, description="prefix of physical names; default: the Pulumi project name")
    environment: EnvironmentVariables = Field(default_factory=dict, description="plain variables of every service and job")
    secrets: SecretNames = Field(default=["JWT_SECRET", "JWT_REFRESH_SECRET"],
                               description="secrets every service and job receives (env var names)")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not _APP_NAME.match(value):
            raise ValueError("1-20 characters: a lowercase letter, then a-z, 0-9 or '-' "
                             "(it prefixes RDS, ElastiCache, S3 and load balancer names)")
        return check_app_name(value)


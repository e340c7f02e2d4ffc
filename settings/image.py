"""Image settings: build the app image from a Dockerfile, or run a prebuilt image; ECR keeps the last N."""

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import Section

DEFAULT_CONTEXT = "app"  # the sample app in this repository (app/README.md)
# registry[:port]/path[:tag][@sha256:digest]; a tag or a digest is required (no implicit `latest`).
_REFERENCE = re.compile(
    r"^(?P<name>[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*)"
    r"(?P<tag>:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?P<digest>@sha256:[0-9a-f]{64})?$"
)
_BUILD_ARG = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_image_reference(value: str) -> str:
    """A pullable image reference pinned by tag or digest."""
    match = _REFERENCE.match(value)
    if not match or not (match["tag"] or match["digest"]):
        raise ValueError(
            "expected an image reference with a tag or a digest, e.g. "
            "'123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:<64 hex>' or 'public.ecr.aws/org/app:1.4.2'"
        )
    return value


class BuildSettings(Section):
    """Build the image with Docker from a directory of this repository (or next to it)."""

    context: str = Field(default=DEFAULT_CONTEXT, min_length=1,
                         description="build context, relative to the project directory")
    dockerfile: str = Field(default="Dockerfile", min_length=1, description="Dockerfile, relative to the context")
    platform: Literal["linux/amd64", "linux/arm64"] = Field(
        default="linux/amd64", description="target platform; must match the task's CPU architecture"
    )
    target: str | None = Field(default=None, min_length=1, description="multi-stage build target")
    args: dict[str, str] = Field(default_factory=dict, description="build arguments (not secrets: they stay in the image)")

    @field_validator("args")
    @classmethod
    def _arg_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _BUILD_ARG.match(name):
                raise ValueError(f"build argument name {name!r} must be letters, digits and '_', not starting with a digit")
        return value


class RegistrySettings(Section):
    """The ECR repositories of the images the program builds."""

    keep_images: int = Field(default=30, ge=1, le=1000, description="images each repository's lifecycle keeps")

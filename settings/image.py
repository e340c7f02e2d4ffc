"""Image settings: build the app image from a Dockerfile, or run a prebuilt image; ECR keeps the last N."""

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Section, rule_error

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


class ImageSettings(Section):
    """Where the app image comes from: exactly one of `uri` (prebuilt) or `build`. Absent: build `app/`."""

    uri: str | None = Field(default=None, description="prebuilt image, pinned by tag or digest")
    build: BuildSettings | None = Field(default=None, description="build from a Dockerfile and push to ECR")
    keep_images: int = Field(default=30, ge=1, le=1000, description="images the ECR lifecycle policy keeps")

    @model_validator(mode="before")
    @classmethod
    def _default_build(cls, data: Any) -> Any:
        # An absent (or empty) section builds the sample app; a section with other keys must say which source.
        if isinstance(data, dict) and not data:
            return {"build": {}}
        return data

    @field_validator("uri")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        return None if value is None else check_image_reference(value)

    @model_validator(mode="after")
    def _one_source(self) -> "ImageSettings":
        if self.uri is not None and self.build is not None:
            raise rule_error("image.uri", self.uri,
                             "set either image.uri (a prebuilt image) or image.build (build from a Dockerfile), not both")
        if self.uri is None and self.build is None:
            given = self.model_dump(by_alias=True, exclude_unset=True)
            raise rule_error("image", given,
                             "set image.uri (a prebuilt image) or image.build (build from a Dockerfile), e.g. "
                             f"build: {{context: {DEFAULT_CONTEXT}}}")
        return self

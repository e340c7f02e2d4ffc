"""The app image: an ECR repository (scanned, immutable tags, KMS) and, when asked, the image built and pushed."""

import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from settings.image import BuildSettings

TAG_LENGTH = 12
UNTAGGED_EXPIRE_DAYS = 1


class ImageSourceError(ValueError):
    """The build context or Dockerfile named by the settings is not there: one message naming the key."""


def _ignore_pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex: `*` and `?` stay within one path segment, `**` spans segments."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern.strip("/"))
    tokens = {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(tokens.get(p, re.escape(p)) for p in parts) + "$")


def dockerignore_rules(context: Path) -> list[tuple[re.Pattern, bool]]:
    """(pattern, excludes) in file order, from `<context>/.dockerignore` if there is one."""
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    rules = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((_ignore_pattern(posixpath.normpath(line.lstrip("!").strip())), not negated))
    return rules


def is_ignored(relative: str, rules: list[tuple[re.Pattern, bool]]) -> bool:
    """Docker semantics: the last matching rule wins; a rule matching a parent directory matches its files."""
    parents = [relative] + [relative.rsplit("/", n)[0] for n in range(1, relative.count("/") + 1)]
    ignored = False
    for pattern, excludes in rules:
        if any(pattern.match(path) for path in parents):
            ignored = excludes
    return ignored


def context_files(context: Path) -> list[str]:
    """Relative POSIX paths of the files Docker sends, sorted; Dockerfile and .dockerignore always count."""
    rules = dockerignore_rules(context)
    found = []
    for root, _, files in os.walk(context):
        for file in files:
            relative = (Path(root) / file).relative_to(context).as_posix()
            if relative in ("Dockerfile", ".dockerignore") or not is_ignored(relative, rules):
                found.append(relative)
    return sorted(found)


def context_tag(path: str | Path, extra: tuple[str, ...] = ()) -> str:
    """First 12 hex of sha256 over the context's files (paths, modes, bytes) and `extra` build inputs."""
    context = Path(path)
    if not context.is_dir():
        raise ImageSourceError(f"image build context {str(path)!r} is not a directory")
    digest = hashlib.sha256()
    for relative in context_files(context):
        file = context / relative
        executable = os.access(file, os.X_OK)
        content = os.readlink(file).encode() if file.is_symlink() else file.read_bytes()
        digest.update(f"{relative}\0{int(executable)}\0{len(content)}\0".encode())
        digest.update(content)
    for item in extra:
        digest.update(f"extra\0{item}\0".encode())
    return digest.hexdigest()[:TAG_LENGTH]


# The task mounts a writable volume at /tmp (components/app_task.py TMP_VOLUME) under a read-only root. On Fargate
# that bind mount starts root-owned 0755 unless the image declares the path a VOLUME, in which case it starts with
# the image's directory and its permissions (/tmp: 1777) (ECS Developer Guide, "Bind mounts", considerations:
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html). The app runs as uid 1001, so an
# image without `VOLUME /tmp` gets a /tmp it cannot write. A root init container that chmods the volume would break
# the policy pack's ecs-non-root-user rule, so the image has to declare it.
TMP_PATH = "/tmp"
URI_TMP_WARNING = ("{key}: the task mounts a writable /tmp, which only a uid-1001 process can write if the image "
                   "declares `VOLUME [\"/tmp\"]`; make sure {uri} does (app/README.md, \"Images not built here\")")


def dockerfile_stages(text: str) -> list[tuple[str | None, str | None, list[str]]]:
    """(stage name, base, VOLUME paths) per FROM of a Dockerfile: continuations joined, comments dropped."""
    joined = re.sub(r"\\[ \t]*\n", " ", text)
    stages: list[tuple[str | None, str | None, list[str]]] = []
    for line in joined.splitlines():
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        instruction, rest = words[0].upper(), (words[1] if len(words) > 1 else "")
        if instruction == "FROM":
            parts = [w for w in rest.split() if not w.startswith("--")]
            name = parts[2].lower() if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append((name, parts[0].lower() if parts else None, []))
        elif instruction == "VOLUME" and stages:
            try:
                paths = json.loads(rest) if rest.strip().startswith("[") else rest.split()
            except ValueError:
                paths = rest.split()
            stages[-1][2].extend(posixpath.normpath(str(path)) for path in paths)
    return stages


def declares_volume(text: str, path: str, target: str | None = None) -> bool:
    """Whether the built stage (`target`, else the last), or a stage it is built FROM, declares VOLUME `path`."""
    stages = dockerfile_stages(text)
    by_name = {name: index for index, (name, _, _) in enumerate(stages) if name}
    index = by_name.get(target.lower()) if target else len(stages) - 1
    seen = set()
    while index is not None and index not in seen:
        seen.add(index)
        _, base, volumes = stages[index]
        if path in volumes:
            return True
        index = by_name.get(base) if by_name.get(base, len(stages)) < index else None
    return False


def build_inputs(build: BuildSettings) -> tuple[str, ...]:
    """Build settings that change the image without changing the context: they change the tag too."""
    return (
        f"dockerfile={build.dockerfile}",
        f"platform={build.platform}",
        f"target={build.target or ''}",
        "args=" + json.dumps(build.args, sort_keys=True),
    )


def image_tag(project_dir: str | Path, build: BuildSettings, key: str = "image.build") -> str:
    """The tag of a build: the context's files, the Dockerfile (even outside the context) and the build settings;
    ImageSourceError naming `key` (the settings path of the build) when the context or Dockerfile is missing."""
    context = Path(project_dir, build.context)
    dockerfile = context / build.dockerfile
    if not context.is_dir():
        raise ImageSourceError(f"{key}.context: directory {build.context!r} not found (looked for {context}); the "
                               "build context is relative to the project directory (where Pulumi.yaml is)")
    if not dockerfile.is_file():
        raise ImageSourceError(f"{key}.dockerfile: file {build.dockerfile!r} not found (looked for {dockerfile}); "
                               "the Dockerfile is relative to the build context")
    dockerfile_digest = hashlib.sha256(dockerfile.read_bytes()).hexdigest()
    return context_tag(context, build_inputs(build) + (f"dockerfile-sha256={dockerfile_digest}",))


def check_tmp_volume(project_dir: str | Path, build: BuildSettings, key: str) -> None:
    """ImageSourceError unless the Dockerfile's built stage declares VOLUME /tmp (see TMP_PATH)."""
    dockerfile = Path(project_dir, build.context, build.dockerfile)
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    stages = [name for name, _, _ in dockerfile_stages(text) if name]
    if build.target and build.target.lower() not in stages:
        raise ImageSourceError(f"{key}.target: got {build.target!r}; {build.dockerfile!r} has no stage of that name "
                               f"(its named stages: {', '.join(stages) or 'none'})")
    if not declares_volume(text, TMP_PATH, build.target):
        stage = f"stage {build.target!r}" if build.target else "final stage"
        raise ImageSourceError(
            f"{key}.dockerfile: {build.dockerfile!r} declares no VOLUME /tmp in its {stage}; the task mounts a "
            "writable /tmp under a read-only root, and Fargate creates it root-owned 0755 (not writable by uid "
            "1001) unless the image declares the path a VOLUME: add `VOLUME [\"/tmp\"]` (app/Dockerfile)")


def lifecycle_policy(keep_images: int) -> str:
    """Expire untagged images after a day; keep only the newest `keep_images` images of any tag."""
    return json.dumps({"rules": [
        {
            "rulePriority": 1,
            "description": f"expire untagged images after {UNTAGGED_EXPIRE_DAYS} day",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": UNTAGGED_EXPIRE_DAYS},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"keep the last {keep_images} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
            "action": {"type": "expire"},
        },
    ]}, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class ImageArgs:
    """Exactly one of `build` (build and push) or `uri` (prebuilt); the repository exists either way."""

    repository_name: str
    keep_images: int
    kms_key_arn: pulumi.Input[str]
    build: BuildSettings | None = None
    uri: str | None = None
    project_dir: str = "."
    settings_key: str = "image"  # the settings path of this image (`services.<name>.image`), for messages

    def __post_init__(self) -> None:
        if (self.build is None) == (self.uri is None):
            raise ValueError("ImageArgs: give exactly one of build or uri")


class Image(pulumi.ComponentResource):
    """ECR repository and lifecycle policy; the built image pushed by digest, or the prebuilt URI."""

    def __init__(self, name: str, args: ImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:Image", name, None, opts)
        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",  # a tag names one image forever: rollbacks redeploy what was tested
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
            force_delete=False,  # deleting the stack must not silently delete the images a rollback needs
            tags={"Name": args.repository_name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle", repository=self.repository.name, policy=lifecycle_policy(args.keep_images),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.repository_url = self.repository.repository_url
        self.repository_arn = self.repository.arn
        self.tag: str | None = None
        self.docker_image: docker.Image | None = None
        if args.build is not None:
            self.image_uri = self._build(name, args, args.build)
        else:
            self.image_uri = pulumi.Output.from_input(args.uri)
            pulumi.log.warn(URI_TMP_WARNING.format(key=f"{args.settings_key}.uri", uri=args.uri), resource=self)
        self.register_outputs({"repository_url": self.repository_url, "repository_arn": self.repository_arn,
                               "image_uri": self.image_uri})

    def _build(self, name: str, args: ImageArgs, build: BuildSettings) -> pulumi.Output[str]:
        """Build for the task's platform, push with a short-lived ECR token; the reference is digest-pinned."""
        # Tags are immutable: the tag must change whenever what Docker builds changes.
        try:
            self.tag = image_tag(args.project_dir, build, f"{args.settings_key}.build")
            check_tmp_volume(args.project_dir, build, f"{args.settings_key}.build")
        except ImageSourceError as error:
            raise pulumi.RunError(str(error)) from None  # one line at preview, no traceback
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # pulumi_docker reads both paths relative to the project directory (Pulumi's working directory), the
        # Dockerfile too (not relative to the context); as written in settings, the plan is checkout-independent.
        self.docker_image = docker.Image(
            f"{name}-build",
            image_name=pulumi.Output.concat(self.repository.repository_url, ":", self.tag),
            build={
                "context": build.context,
                "dockerfile": posixpath.join(build.context, build.dockerfile),
                "platform": build.platform,
                "target": build.target,
                "args": build.args or None,
            },
            registry={
                "server": self.repository.repository_url.apply(lambda url: url.split("/")[0]),
                "username": token.user_name,
                "password": pulumi.Output.secret(token.password),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        # repo_digest is `<repository>@sha256:...`: unique per push, so ECS deploys exactly this build.
        return self.docker_image.repo_digest

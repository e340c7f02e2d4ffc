"""The app image: settings messages, the content-hash tag, and the ECR repository / build under mocks."""

import copy
import json

import pulumi
import pytest
from pulumi.runtime import rpc

import tools.mocks
from components.image import Image, ImageArgs, context_files, context_tag, image_tag, lifecycle_policy
from settings import SettingsError, parse_settings
from settings.image import BuildSettings
from tests.helpers import ROOT, assert_inputs, one, parsed, resources, stack_settings
from tools.preview import record

KEY = "arn:aws:kms:us-east-1:123456789012:key/0000-key"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
DOCKER_IMAGE = "docker:index/image:Image"
REPO_URL = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nodeapi-test"
PREBUILT = "public.ecr.aws/docker/library/node:22-slim"
DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64
SOURCE = "nodeapi:settings (Pulumi.prod.yaml)"


# --- settings ---

def image_message(image, registry=None) -> str:
    raw = copy.deepcopy(stack_settings("prod"))
    raw["services"]["web"]["image"] = image
    if registry is not None:
        raw["registry"] = registry
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, SOURCE)
    return str(caught.value).removeprefix(f"Invalid settings in {SOURCE}:\n  ")


def image_settings(image):
    raw = copy.deepcopy(stack_settings("prod"))
    raw["services"]["web"]["image"] = image
    return parse_settings(raw, SOURCE).services["web"].image


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_both_stacks_build_the_sample_app_for_graviton(stack):
    settings = parse_settings(stack_settings(stack), stack)
    assert settings.registry.keep_images == 30
    for service in settings.services.values():
        assert service.image.uri is None and service.image.service is None
        assert service.image.build == BuildSettings(context="app", dockerfile="Dockerfile", platform="linux/arm64",
                                                    target=None, args={})


def test_an_absent_image_builds_the_sample_app():
    assert image_settings({}).build == BuildSettings(context="app", dockerfile="Dockerfile", platform="linux/amd64",
                                                     target=None, args={})


def test_build_uri_and_service_settings():
    built = image_settings({"build": {"context": "../api", "platform": "linux/arm64", "target": "runtime",
                                      "args": {"NODE_VERSION": "22"}}})
    assert (built.build.context, built.build.dockerfile, built.build.platform, built.build.target,
            built.build.args) == ("../api", "Dockerfile", "linux/arm64", "runtime", {"NODE_VERSION": "22"})
    for uri in (DIGEST, PREBUILT, "ghcr.io/acme/api:1.4.2@sha256:" + "b" * 64, "localhost:5000/api:dev"):
        assert image_settings({"uri": uri}).uri == uri
    assert image_settings({"service": "queue"}).service == "queue"


ONE_SOURCE = ("set exactly one of image.build (a Dockerfile), image.uri (a pinned image) or image.service "
              "(the image of another service)")


@pytest.mark.parametrize("image, expected", [
    ({"uri": PREBUILT, "build": {"context": "app"}},
     f'services.web.image: got {{"uri": "{PREBUILT}", "build": {{"context": "app"}}}}; {ONE_SOURCE}'),
    ({"keepImages": 10}, f'services.web.image: got {{"keepImages": 10}}; {ONE_SOURCE}'),
    ({"uri": "public.ecr.aws/docker/library/node"},
     "services.web.image.uri: got 'public.ecr.aws/docker/library/node'; expected an image reference with a tag or "
     "a digest, e.g. '123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:<64 hex>' or "
     "'public.ecr.aws/org/app:1.4.2'"),
    ({"build": {"platform": "linux/386"}},
     "services.web.image.build.platform: got 'linux/386'; input should be 'linux/amd64' or 'linux/arm64'"),
    ({"build": {"args": {"1BAD": "x"}}},
     'services.web.image.build.args: got {"1BAD": "x"}; build argument name \'1BAD\' must be letters, digits '
     "and '_', not starting with a digit"),
    ({"service": "nope"},
     "services.web.image.service: got 'nope'; name a service that has its own image (build or uri): "
     "['queue']"),
])
def test_bad_image_settings_have_one_exact_message(image, expected):
    assert image_message(image) == expected


@pytest.mark.parametrize("registry, expected", [
    ({"keepImages": 0}, "registry.keepImages: got 0; input should be greater than or equal to 1"),
    ({"keepImages": 1001}, "registry.keepImages: got 1001; input should be less than or equal to 1000"),
])
def test_bad_registry_settings(registry, expected):
    assert image_message({}, registry) == expected


# --- the tag: a content hash of the build context ---

def write(root, files: dict[str, str]):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_context_tag_is_the_sha256_of_sorted_paths_and_bytes(tmp_path):
    write(tmp_path, {"b.js": "b", "a/x.js": "x"})
    tag = context_tag(tmp_path)
    assert len(tag) == 12 and int(tag, 16) >= 0
    assert context_tag(tmp_path) == tag  # stable
    (tmp_path / "b.js").write_text("b2")
    assert context_tag(tmp_path) != tag  # content
    (tmp_path / "b.js").write_text("b")
    assert context_tag(tmp_path) == tag
    (tmp_path / "b.js").rename(tmp_path / "c.js")
    assert context_tag(tmp_path) != tag  # paths
    (tmp_path / "c.js").rename(tmp_path / "b.js")
    assert context_tag(tmp_path, ("platform=linux/arm64",)) != tag  # build inputs


def test_dockerignore_excludes_what_docker_excludes(tmp_path):
    write(tmp_path, {
        ".dockerignore": "# comment\nnode_modules\n*.md\n!KEEP.md\nlogs/**\n/secret.env\n",
        "Dockerfile": "FROM scratch", "server.js": "", "README.md": "", "KEEP.md": "", "docs/NOTES.md": "",
        "node_modules/x/index.js": "", "logs/a/b.log": "", "secret.env": "", "src/secret.env": "",
    })
    # `*.md` matches only at the top (Docker: `*` stays within one path segment).
    assert context_files(tmp_path) == [".dockerignore", "Dockerfile", "KEEP.md", "docs/NOTES.md", "server.js",
                                       "src/secret.env"]
    tag = context_tag(tmp_path)
    (tmp_path / "node_modules/x/index.js").write_text("changed")
    (tmp_path / "README.md").write_text("changed")
    assert context_tag(tmp_path) == tag
    (tmp_path / "KEEP.md").write_text("changed")
    assert context_tag(tmp_path) != tag


def test_image_tag_covers_the_dockerfile_and_build_settings(tmp_path):
    write(tmp_path, {"app/Dockerfile": "FROM node:22-slim", "app/server.js": "", "Dockerfile.prod": "FROM x"})
    base = image_tag(tmp_path, BuildSettings())
    assert base == context_tag(tmp_path / "app", (
        "dockerfile=Dockerfile", "platform=linux/amd64", "target=", "args={}",
        "dockerfile-sha256=" + __import__("hashlib").sha256(b"FROM node:22-slim").hexdigest()))
    variants = [BuildSettings(platform="linux/arm64"), BuildSettings(target="runtime"),
                BuildSettings(args={"A": "1"}), BuildSettings(dockerfile="../Dockerfile.prod")]
    tags = {image_tag(tmp_path, v) for v in variants}
    assert len(tags) == 4 and base not in tags
    with pytest.raises(FileNotFoundError, match="image.build.dockerfile"):
        image_tag(tmp_path, BuildSettings(dockerfile="Missing"))
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        context_tag(tmp_path / "nope")


def test_sample_app_context_is_what_the_tag_hashes():
    assert context_files(ROOT / "app") == [".dockerignore", "Dockerfile", "healthcheck.js", "jobs/analytics.js",
                                           "log.js", "migrate.js", "package.json", "server.js", "worker-health.js",
                                           "worker.js"]


# --- the component under mocks ---

@pytest.fixture
def revealed(monkeypatch):
    """Record secret inputs as {"[secret]": value}, so tests see both the value and that it is secret."""
    original = tools.mocks.plain

    def revealing(value):
        if rpc.is_rpc_secret(value):
            return {"[secret]": revealing(value["value"])}
        return original(value)

    monkeypatch.setattr(tools.mocks, "plain", revealing)


def graph_of(**changes) -> dict:
    args = {"repository_name": "nodeapi-test", "keep_images": 30, "kms_key_arn": KEY, "build": BuildSettings(),
            "project_dir": str(ROOT), **changes}

    def build():
        image = Image("image", ImageArgs(**args))
        pulumi.export("repositoryUrl", image.repository_url)
        pulumi.export("repositoryArn", image.repository_arn)
        pulumi.export("imageUri", image.image_uri)
        pulumi.export("tag", image.tag)

    return record(build)


def test_repository_is_scanned_immutable_kms_encrypted_and_kept():
    graph = graph_of(uri=PREBUILT, build=None, keep_images=50)
    assert sorted(r["type"] for r in graph["resources"]) == [LIFECYCLE, REPOSITORY, "nodeapi:service:Image"]
    repository = one(graph, REPOSITORY, "image")
    assert repository["inputs"] == {
        "name": "nodeapi-test", "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}], "forceDelete": False,
        "tags": {"Name": "nodeapi-test"}}
    assert repository["parent"] == "urn:pulumi:test::nodeapi::nodeapi:service:Image::image"
    lifecycle = one(graph, LIFECYCLE, "image-lifecycle")
    assert lifecycle["inputs"]["repository"] == "nodeapi-test"
    assert parsed(lifecycle["inputs"]["policy"]) == {"rules": [
        {"rulePriority": 1, "description": "expire untagged images after 1 day",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": "keep the last 50 images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50},
         "action": {"type": "expire"}},
    ]}
    assert graph["outputs"] == {"repositoryUrl": REPO_URL,
                                "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/nodeapi-test",
                                "imageUri": PREBUILT, "tag": None}


def test_build_pushes_the_context_hash_tag_and_exports_the_digest(revealed):
    graph = graph_of()
    tag = image_tag(ROOT, BuildSettings())
    assert sorted(r["type"] for r in graph["resources"]) == [
        LIFECYCLE, REPOSITORY, DOCKER_IMAGE, "nodeapi:service:Image"]
    image = one(graph, DOCKER_IMAGE, "image-build")
    assert image["inputs"] == {
        "imageName": f"{REPO_URL}:{tag}",
        "build": {"context": "app", "dockerfile": "app/Dockerfile", "platform": "linux/amd64"},
        "registry": {"[secret]": {"server": "123456789012.dkr.ecr.us-east-1.amazonaws.com", "username": "AWS",
                                  "password": "mock-ecr-password"}},
        "buildOnPreview": False, "skipPush": False}
    assert graph["outputs"]["tag"] == tag
    assert graph["outputs"]["imageUri"].startswith(f"{REPO_URL}@sha256:")
    assert len(graph["outputs"]["imageUri"].split("@sha256:")[1]) == 64


def test_build_settings_reach_docker(tmp_path):
    write(tmp_path, {"api/docker/Dockerfile": "FROM node:22-alpine", "api/index.js": ""})
    build = BuildSettings(context="api", dockerfile="docker/Dockerfile", platform="linux/arm64", target="runtime",
                          args={"NODE_ENV": "production"})
    graph = graph_of(build=build, project_dir=str(tmp_path))
    assert_inputs(one(graph, DOCKER_IMAGE, "image-build"), {
        "imageName": f"{REPO_URL}:{image_tag(tmp_path, build)}",
        "build": {"context": "api", "dockerfile": "api/docker/Dockerfile", "platform": "linux/arm64",
                  "target": "runtime", "args": {"NODE_ENV": "production"}}})


def test_prebuilt_uri_has_no_image_build():
    graph = graph_of(uri=DIGEST, build=None)
    assert resources(graph, DOCKER_IMAGE) == []
    assert graph["outputs"]["imageUri"] == DIGEST


def test_args_need_exactly_one_source():
    for both_or_neither in ({"uri": DIGEST}, {"build": None}):
        with pytest.raises(ValueError, match="exactly one of build or uri"):
            ImageArgs(**{"repository_name": "r", "keep_images": 1, "kms_key_arn": KEY, "build": BuildSettings(),
                         **both_or_neither})


def test_lifecycle_policy_is_valid_json_with_ordered_priorities():
    rules = json.loads(lifecycle_policy(7))["rules"]
    assert [r["rulePriority"] for r in rules] == [1, 2]
    assert rules[1]["selection"]["countNumber"] == 7

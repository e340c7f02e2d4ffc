"""`storage.buckets` settings: names, variables, versions for backups, lifecycle and CORS rules, services."""

import pytest
from pydantic import ValidationError

from settings.loader import describe_error
from settings.storage import StorageSettings, bucket_env_name


def messages(raw: dict) -> list[str]:
    """The loader's lines for `storage` (paths relative to the section)."""
    with pytest.raises(ValidationError) as caught:
        StorageSettings.model_validate(raw)
    return [describe_error(error) for error in caught.value.errors()]


@pytest.mark.parametrize("raw, message", [
    ({"buckets": {"Uploads": {}}},
     "buckets: got {\"Uploads\": {}}; bucket names must be 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'; "
     "got Uploads"),
    ({"buckets": {"a-b": {}, "a_b": {}}},
     "buckets: got {\"a-b\": {}, \"a_b\": {}}; bucket names must be 1-20 characters: a lowercase letter, then a-z, "
     "0-9 or '-'; got a_b"),
    ({"buckets": {"uploads": {}, "files": {"envName": "UPLOADS_BUCKET"}}},
     "buckets: got {\"uploads\": {}, \"files\": {\"envName\": \"UPLOADS_BUCKET\"}}; two buckets would set the same "
     "variable: UPLOADS_BUCKET"),
    ({"buckets": {"uploads": {"envName": "uploads"}}},
     "buckets.uploads.envName: got 'uploads'; not an env var name (UPPER_SNAKE_CASE)"),
    ({"buckets": {"uploads": {"lifecycle": [{"infrequentAccessDays": 7}]}}},
     "buckets.uploads.lifecycle[0].infrequentAccessDays: got 7; input should be greater than or equal to 30"),
    ({"buckets": {"uploads": {"cors": {"allowedOrigins": ["https://app.example.com/upload"]}}}},
     "buckets.uploads.cors.allowedOrigins: got [\"https://app.example.com/upload\"]; not origins (scheme://host[:port], "
     "no path): https://app.example.com/upload"),
    ({"buckets": {"uploads": {"cors": {"allowedOrigins": ["*"], "allowedMethods": ["PATCH"]}}}},
     "buckets.uploads.cors.allowedMethods[0]: got 'PATCH'; input should be 'GET', 'PUT', 'POST', 'DELETE' or 'HEAD'"),
    ({"buckets": {"uploads": {"public": True}}},
     "buckets.uploads.public: unknown key (got true); allowed keys here: "),
])
def test_bad_storage_settings_are_named(raw, message):
    found = messages(raw)
    assert any(line.startswith(message) for line in found), found


@pytest.mark.parametrize("bucket, rule", [
    ({"backup": True}, ("buckets.uploads.backup", True,
                        "AWS Backup protects versioned buckets only: set versioned: true")),
    ({"lifecycle": [{"expireDays": 7}, {"prefix": "tmp/"}]},
     ("buckets.uploads.lifecycle[1].prefix", "tmp/",
      "a lifecycle rule needs expireDays, noncurrentExpireDays or infrequentAccessDays")),
    ({"lifecycle": [{"infrequentAccessDays": 30, "expireDays": 30}]},
     ("buckets.uploads.lifecycle[0].expireDays", 30, "must exceed infrequentAccessDays (30)")),
])
def test_rules_across_keys_name_the_key(bucket, rule):
    assert StorageSettings.model_validate({"buckets": {"uploads": bucket}}).rules(object()) == [rule]


def test_a_whole_bucket():
    storage = StorageSettings.model_validate({"buckets": {"user-files": {
        "services": ["web", "worker"], "versioned": True, "backup": True,
        "lifecycle": [{"prefix": "tmp/", "expireDays": 1}, {"infrequentAccessDays": 30, "noncurrentExpireDays": 90}],
        "cors": {"allowedOrigins": ["https://app.example.com", "http://localhost:3000"]}}}})
    bucket = storage.buckets["user-files"]
    assert (bucket.variable("user-files"), bucket.cors.allowed_methods, bucket.lifecycle[1].expire_days) == (
        "USER_FILES_BUCKET", ["GET", "PUT"], None)


@pytest.mark.parametrize("name, variable", [("uploads", "UPLOADS_BUCKET"), ("user-files", "USER_FILES_BUCKET")])
def test_bucket_env_name(name, variable):
    assert bucket_env_name(name) == variable


class Stack:
    services = {"web": object(), "worker": object()}


def test_buckets_name_services_of_the_stack():
    storage = StorageSettings.model_validate({"buckets": {"uploads": {"services": ["web", "api"]}}})
    assert storage.rules(Stack()) == [("buckets.uploads.services", ["api"], "not services of this stack; services: "
                                                                           "web, worker")]
    assert storage.rules(object()) == []  # a stack model without `services` has nothing to check against
    assert StorageSettings.model_validate({"buckets": {"uploads": {"services": ["web"]}}}).rules(Stack()) == []

"""App storage buckets: private, SSE-KMS, TLS only, versions, lifecycle and CORS as asked."""

import pytest

from components.app_bucket import app_bucket_name, lifecycle_rules
from settings.storage import LifecycleRule
from tests.data_helpers import key_arn
from tests.data_tier_graph import with_changes
from tests.helpers import one, parsed, resources

UPLOADS = {"services": ["web"], "versioned": True, "backup": True,
           "lifecycle": [{"prefix": "tmp/", "expireDays": 7},
                         {"infrequentAccessDays": 30, "expireDays": 365, "noncurrentExpireDays": 30}],
           "cors": {"allowedOrigins": ["https://app.example.com"], "allowedMethods": ["GET", "PUT", "POST"]}}
NAME = "nodeapi-prod-uploads-123456789012-us-east-1"


@pytest.fixture(scope="module")
def graph() -> dict:
    return with_changes("prod", storage={"buckets": {"uploads": UPLOADS, "scratch": {"services": ["worker"]}}})


def part(graph: dict, type_: str, name: str) -> dict:
    return one(graph, f"aws:s3/{type_}", name)["inputs"]


def test_the_bucket_and_its_controls(graph):
    bucket = one(graph, "aws:s3/bucket:Bucket", "data-storage-uploads")
    assert bucket["inputs"] == {"bucket": NAME, "forceDestroy": False, "tags": {"Name": NAME}}
    assert bucket["options"]["protect"] is True  # production data
    assert part(graph, "bucketOwnershipControls:BucketOwnershipControls", "data-storage-uploads-ownership") == {
        "bucket": NAME, "rule": {"objectOwnership": "BucketOwnerEnforced"}}
    assert part(graph, "bucketPublicAccessBlock:BucketPublicAccessBlock",
                "data-storage-uploads-public-access-block") == {
        "bucket": NAME, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
        "restrictPublicBuckets": True}
    assert part(graph, "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "data-storage-uploads-encryption") == {"bucket": NAME, "rules": [{
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(graph)},
                    "bucketKeyEnabled": True}]}
    assert parsed(part(graph, "bucketPolicy:BucketPolicy", "data-storage-uploads-policy")["policy"])["Statement"] == [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]


def test_versions_lifecycle_and_cors_as_asked(graph):
    assert part(graph, "bucketVersioning:BucketVersioning", "data-storage-uploads-versioning") == {
        "bucket": NAME, "versioningConfiguration": {"status": "Enabled"}}
    lifecycle = part(graph, "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                     "data-storage-uploads-lifecycle")
    assert lifecycle == {
        "bucket": NAME, "rules": [
            {"id": "rule-1", "status": "Enabled", "filter": {"prefix": "tmp/"}, "expiration": {"days": 7}},
            {"id": "rule-2", "status": "Enabled", "filter": {"prefix": ""},
             "transitions": [{"days": 30, "storageClass": "STANDARD_IA"}], "expiration": {"days": 365},
             "noncurrentVersionExpiration": {"noncurrentDays": 30}},
            {"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {"prefix": ""},
             "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}]}
    assert part(graph, "bucketCorsConfiguration:BucketCorsConfiguration", "data-storage-uploads-cors") == {
        "bucket": NAME, "corsRules": [{"allowedOrigins": ["https://app.example.com"],
                                       "allowedMethods": ["GET", "PUT", "POST"], "allowedHeaders": ["*"],
                                       "exposeHeaders": ["ETag"], "maxAgeSeconds": 3000}]}


def test_a_plain_bucket_has_no_versions_no_cors_and_only_the_upload_cleanup(graph):
    name = "nodeapi-prod-scratch-123456789012-us-east-1"
    assert part(graph, "bucketVersioning:BucketVersioning", "data-storage-scratch-versioning") == {
        "bucket": name, "versioningConfiguration": {"status": "Suspended"}}
    assert [r["id"] for r in part(graph, "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                                  "data-storage-scratch-lifecycle")["rules"]] == ["abort-incomplete-uploads"]
    assert not [r for r in resources(graph, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
                if r["name"].startswith("data-storage-scratch")]
    assert len([r for r in graph["resources"] if r["name"].startswith("data-storage-scratch")]) == 8


def test_bucket_names_stay_within_s3s_limit():
    assert app_bucket_name("shop-prod", "uploads", "123456789012", "eu-west-1") == (
        "shop-prod-uploads-123456789012-eu-west-1")
    with pytest.raises(ValueError) as caught:
        app_bucket_name("a-very-long-application-name-prod", "user-uploads-archive", "123456789012", "ap-southeast-2")
    assert str(caught.value) == (
        "storage.buckets.user-uploads-archive: the bucket name 'a-very-long-application-name-prod-user-uploads-archive-"
        "123456789012-ap-southeast-2' has 82 characters; S3 allows 63 (shorten the bucket or app name)")


def test_lifecycle_rules_always_end_with_the_upload_cleanup():
    assert lifecycle_rules([LifecycleRule(noncurrent_expire_days=14)]) == [
        {"id": "rule-1", "status": "Enabled", "filter": {"prefix": ""},
         "noncurrent_version_expiration": {"noncurrent_days": 14}},
        {"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {"prefix": ""},
         "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}]

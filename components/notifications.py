"""Where alarms go: a warning and a critical SNS topic, KMS-encrypted, with e-mail and HTTPS subscribers."""

import hashlib
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class Subscribers:
    """E-mail addresses (confirmed by the recipient) and HTTPS endpoints (confirmed by the endpoint)."""

    emails: list[str] = field(default_factory=list)
    https_endpoints: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class NotificationsArgs:
    """Topics are named `<prefix>-warning` and `<prefix>-critical`."""

    prefix: str
    kms_key_arn: pulumi.Input[str]
    warning: Subscribers
    critical: Subscribers


def endpoint_id(endpoint: str) -> str:
    """A short stable id for a subscriber: webhook URLs can carry tokens, so they stay out of resource names."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:8]


class Notifications(pulumi.ComponentResource):
    """One topic per level; CloudWatch publishes through the stack key (its key policy allows the service)."""

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:observability:Notifications", name, None, opts)
        self.warning_topic = self._topic(f"{name}-warning", f"{args.prefix}-warning", args.warning, args)
        self.critical_topic = self._topic(f"{name}-critical", f"{args.prefix}-critical", args.critical, args)
        self.warning_topic_arn = self.warning_topic.arn
        self.critical_topic_arn = self.critical_topic.arn
        self.register_outputs({"warning_topic_arn": self.warning_topic_arn,
                               "critical_topic_arn": self.critical_topic_arn})

    def _topic(self, name: str, topic_name: str, subscribers: Subscribers, args: NotificationsArgs) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            name,
            name=topic_name,
            display_name=topic_name,
            kms_master_key_id=args.kms_key_arn,
            tags={"Name": topic_name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        endpoints = [("email", address) for address in subscribers.emails]
        endpoints += [("https", url) for url in subscribers.https_endpoints]
        for protocol, endpoint in endpoints:
            aws.sns.TopicSubscription(
                f"{name}-{protocol}-{endpoint_id(endpoint)}",
                topic=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topic

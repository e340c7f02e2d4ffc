"""Where alarms go: a warning and a critical SNS topic, KMS-encrypted, with e-mail and HTTPS subscribers, and Slack
and Microsoft Teams channels through AWS Chatbot (Amazon Q Developer in chat applications)."""

import hashlib
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from settings.alarms import Endpoints

from .iam import assume_role_policy

LEVELS = ("warning", "critical")
# The Chatbot API answers in us-east-2, us-west-2, ap-southeast-1 and eu-west-1 only, and its console only in
# us-east-2; configurations are global (AWS CLI reference, `aws chatbot`: "AWS Chatbot APIs are currently available
# in the following Regions"). A call in the stack's region (e.g. us-east-1) fails with "Could not connect to the
# endpoint URL" (aws/aws-cli#8658), so the configurations name their region explicitly (pulumi_aws 7's per-resource
# `region`, which keeps the stack provider's default tags) and SNS topics of any region subscribe to them.
CHATBOT_REGION = "us-east-2"
# Chatbot writes a configuration's errors to /aws/chatbot/<configuration> in us-east-1, creating the group with
# no expiry on first use (AWS CDK aws_chatbot README, "Log Group"): declaring it first sets the retention.
CHATBOT_LOG_REGION = "us-east-1"
CHATBOT_LOGGING_LEVEL = "ERROR"
# ConfigurationName: [A-Za-z0-9-_]+, 1-128 characters (botocore chatbot model, CreateSlackChannelConfiguration).
CONFIGURATION_NAME_MAX = 128
# What Chatbot may do, and the channel's guardrail (the ceiling for anyone typing in the channel): read the alarms
# and metrics a notification links to, nothing else. The guardrail replaces the default, AdministratorAccess.
CHATBOT_READ_ACTIONS = ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"]


@dataclass(frozen=True, kw_only=True)
class SlackChannel:
    """A channel of a Slack workspace already authorized in the Chatbot console (ids validated by the settings)."""

    workspace_id: str
    channel_id: str


@dataclass(frozen=True, kw_only=True)
class TeamsChannel:
    """A Microsoft Teams channel of a team already authorized in the Chatbot console."""

    team_id: str
    channel_id: str
    tenant_id: str


@dataclass(frozen=True, kw_only=True)
class Subscribers:
    """E-mail addresses (confirmed by the recipient), HTTPS endpoints (confirmed by the endpoint), chat channels."""

    emails: list[str] = field(default_factory=list)
    https_endpoints: list[str] = field(default_factory=list)
    slack: list[SlackChannel] = field(default_factory=list)
    teams: list[TeamsChannel] = field(default_factory=list)

    @classmethod
    def from_settings(cls, endpoints: Endpoints) -> "Subscribers":
        """The subscribers `alarms.notifications.<level>` names."""
        return cls(emails=list(endpoints.emails), https_endpoints=list(endpoints.https_endpoints),
                   slack=[SlackChannel(**channel.model_dump()) for channel in endpoints.slack],
                   teams=[TeamsChannel(**channel.model_dump()) for channel in endpoints.teams])


@dataclass(frozen=True, kw_only=True)
class NotificationsArgs:
    """Topics are named `<prefix>-warning` and `<prefix>-critical`; chat configurations `<prefix>-slack-...`."""

    prefix: str
    kms_key_arn: pulumi.Input[str]
    warning: Subscribers
    critical: Subscribers
    chat_log_retention_days: int = 30


def endpoint_id(endpoint: str) -> str:
    """A short stable id for a subscriber: webhook URLs can carry tokens, so they stay out of resource names."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:8]


def chat_channels(args: NotificationsArgs) -> dict[str, tuple[SlackChannel | TeamsChannel, list[str]]]:
    """Each chat channel once, with the levels that list it: Chatbot takes one configuration per channel and
    account ("Slack channel ... has already been configured for AWS account"), subscribed to several topics."""
    found: dict[str, tuple[SlackChannel | TeamsChannel, list[str]]] = {}
    for level in LEVELS:
        subscribers: Subscribers = getattr(args, level)
        for channel in [*subscribers.slack, *subscribers.teams]:
            key = channel_key(channel)
            found.setdefault(key, (channel, []))[1].append(level)
    return found


def channel_key(channel: SlackChannel | TeamsChannel) -> str:
    """`slack-<workspace>-<channel>` (ids are plain), `teams-<hash>` (Teams ids hold `%` and are long)."""
    if isinstance(channel, SlackChannel):
        return f"slack-{channel.workspace_id}-{channel.channel_id}"
    return f"teams-{endpoint_id(f'{channel.tenant_id}/{channel.team_id}/{channel.channel_id}')}"


def configuration_name(prefix: str, key: str) -> str:
    """The Chatbot configuration's name, refused past the API's limit."""
    name = f"{prefix}-{key}"
    if len(name) > CONFIGURATION_NAME_MAX:
        raise ValueError(f"Chatbot configuration name {name!r} is {len(name)} characters; the API allows "
                         f"{CONFIGURATION_NAME_MAX}: shorten the app name")
    return name


class Notifications(pulumi.ComponentResource):
    """One topic per level; CloudWatch publishes through the stack key (its key policy allows the service)."""

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:observability:Notifications", name, None, opts)
        self.warning_topic = self._topic(f"{name}-warning", f"{args.prefix}-warning", args.warning, args)
        self.critical_topic = self._topic(f"{name}-critical", f"{args.prefix}-critical", args.critical, args)
        self.warning_topic_arn = self.warning_topic.arn
        self.critical_topic_arn = self.critical_topic.arn
        self.chat_configuration_arns = self._chat(name, args)
        self.register_outputs({"warning_topic_arn": self.warning_topic_arn,
                               "critical_topic_arn": self.critical_topic_arn,
                               "chat_configuration_arns": self.chat_configuration_arns})

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

    def _chat(self, name: str, args: NotificationsArgs) -> dict[str, pulumi.Output[str]]:
        """One Chatbot configuration per chat channel, subscribed to the topics of the levels that list it.

        The topics stay KMS-encrypted: SNS decrypts a message before delivering it to a subscribed endpoint (the
        Chatbot endpoint included), so only the publisher needs the key. CloudWatch has it (statement
        `AlarmsAndEventsPublishToEncryptedTopics` of the stack key; SNS Developer Guide, "Enable compatibility
        between event sources from AWS services and encrypted topics"); Chatbot needs no key permission.
        """
        channels = chat_channels(args)
        if not channels:
            return {}
        role_arn, read_policy_arn, attachment = self._chatbot_role(name)
        topics = {"warning": self.warning_topic.arn, "critical": self.critical_topic.arn}
        arns = {}
        for key, (channel, levels) in channels.items():
            config_name = configuration_name(args.prefix, key)
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-{key}-logs",
                name=f"/aws/chatbot/{config_name}",
                retention_in_days=args.chat_log_retention_days,
                region=CHATBOT_LOG_REGION,
                tags={"Name": f"/aws/chatbot/{config_name}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            common = dict(
                configuration_name=config_name,
                iam_role_arn=role_arn,
                guardrail_policy_arns=[read_policy_arn],
                sns_topic_arns=[topics[level] for level in levels],
                logging_level=CHATBOT_LOGGING_LEVEL,
                region=CHATBOT_REGION,
                tags={"Name": config_name},
                # The role carries its read policy before the first notification can arrive.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, attachment]),
            )
            if isinstance(channel, SlackChannel):
                configuration = aws.chatbot.SlackChannelConfiguration(
                    f"{name}-{key}", slack_team_id=channel.workspace_id, slack_channel_id=channel.channel_id,
                    **common)
            else:
                configuration = aws.chatbot.TeamsChannelConfiguration(
                    f"{name}-{key}", team_id=channel.team_id, channel_id=channel.channel_id,
                    tenant_id=channel.tenant_id, **common)
            arns[key] = configuration.chat_configuration_arn
        return arns

    def _chatbot_role(self, name: str) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Resource]:
        """The role Chatbot assumes and the read-only policy that is both its permissions and the guardrail."""
        read_policy = aws.iam.Policy(
            f"{name}-chatbot-read",
            description="AWS Chatbot: read CloudWatch alarms and metrics (role permissions and channel guardrail)",
            policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": CHATBOT_READ_ACTIONS, "Resource": "*"}]}, sort_keys=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # No aws:SourceAccount condition: the Chatbot documentation's trust policy has none, and a condition the
        # service does not send would make every delivery fail to assume the role.
        role = aws.iam.Role(
            f"{name}-chatbot",
            assume_role_policy=assume_role_policy("chatbot.amazonaws.com"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-chatbot-read",
            role=role.name,
            policy_arn=read_policy.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role.arn, read_policy.arn, attachment

"""The commands of the README and the first-deploy guide as users paste them: quoted for zsh, the key-ARN form of
awskms URLs."""

import re

import pytest

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()
DOCS = {"README.md": README, "docs/first-deploy.md": (ROOT / "docs" / "first-deploy.md").read_text()}


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_state_and_secrets_urls_are_quoted_for_zsh(doc):
    """Unquoted, zsh reads `?` as a glob and stops with "no matches found"."""
    commands = re.findall(r"^\s*(pulumi (?:login|stack init)[^\n]*)$", DOCS[doc], flags=re.MULTILINE)
    urls = [c for c in commands if "?" in c]
    assert urls, "the real path shows the state backend and secrets provider commands"
    for command in urls:
        assert re.search(r"'[a-z0-9]+://[^' ]*[?][^' ]*'", command), command


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_awskms_key_arns_use_the_empty_host_form(doc):
    assert re.findall(r"awskms://arn:", DOCS[doc]) == []
    assert "awskms:///arn:aws:kms:" in DOCS[doc]


def test_the_first_deploy_guide_sets_the_account_pin_and_checks_after():
    guide = DOCS["docs/first-deploy.md"]
    assert "pulumi config set --path 'nodeapi:settings.accountId'" in guide
    for command in ("python -m ops status", "aws cloudwatch set-alarm-state", "python -m ops restore-drill"):
        assert command in guide, command

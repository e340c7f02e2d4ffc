"""The README's commands as users paste them: quoted for zsh, the key-ARN form of awskms URLs."""

import re

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def test_state_and_secrets_urls_are_quoted_for_zsh():
    """Unquoted, zsh reads `?` as a glob and stops with "no matches found"."""
    commands = re.findall(r"^\s*(pulumi (?:login|stack init)[^\n]*)$", README, flags=re.MULTILINE)
    urls = [c for c in commands if "?" in c]
    assert urls, "the real path shows the state backend and secrets provider commands"
    for command in urls:
        assert re.search(r"'[a-z0-9]+://[^' ]*[?][^' ]*'", command), command


def test_awskms_key_arns_use_the_empty_host_form():
    assert re.findall(r"awskms://arn:", README) == []
    assert "awskms:///arn:aws:kms:" in README

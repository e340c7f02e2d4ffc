"""Reading stack files: one clear message (file, line, what is wrong) and exit 2 for each broken file, and
`--config-file` rendering any stack file in place of Pulumi.<stack>.yaml."""

import shutil

import pytest

from settings.loader import SettingsError, read_stack_file
from tests.helpers import ROOT
from tools.preview import PreviewError, build_graph, load_stack_config, main


@pytest.mark.parametrize("text, message", [
    ("config:\n  nodeapi:settings:\n\tenvironment: staging\n",
     ":3:1: invalid YAML: found character '\\t' that cannot start any token (YAML indents with spaces, not tabs)"),
    ("- config\n- settings\n", ": the document is a list; a stack file is a mapping with a 'config:' key"),
    ("just a sentence\n", ": the document is a string; a stack file is a mapping with a 'config:' key"),
    ("encryptionsalt: v1:x\nconfig:\n  - nodeapi:settings\n",
     ":3: 'config' is a list; it must be a mapping of 'key: value' lines, e.g. 'nodeapi:settings:' with the settings "
     "indented below"),
    ("config: settings\n",
     ":1: 'config' is a string; it must be a mapping of 'key: value' lines, e.g. 'nodeapi:settings:' with the "
     "settings indented below"),
    ("config:\n  nodeapi:settings: {network: [1, 2}\n",
     ":2:36: invalid YAML: expected ',' or ']', but got '}' (while parsing a flow sequence at line 2)"),
    ("config:\n  aws:region: us-east-1\n  aws:region: eu-west-1\n",
     ":3:3: invalid YAML: duplicate key 'aws:region' (first at line 2)"),
    ("config:\n  nodeapi:settings:\n    network:\n      cidr: 10.0.0.0/16\n      cidr: 10.1.0.0/16\n",
     ":5:7: invalid YAML: duplicate key 'cidr' (first at line 4)"),
    ("config:\n  nodeapi:settings:\n    environment: staging\n   region: eu-west-1\n",
     ":4:4: invalid YAML: expected <block end>, but found '<block mapping start>' (check the indentation: keys of "
     "one mapping line up) (while parsing a block mapping at line 2)"),
    ("config:\n  key: 'unterminated\n", ":3:1: invalid YAML: found unexpected end of stream "
                                       "(while scanning a quoted scalar at line 2)"),
    ("a: 1\n---\nb: 2\n", ":2:1: invalid YAML: but found another document (expected a single document in the "
                         "stream at line 1)"),
])
def test_broken_stack_files_give_one_message(tmp_path, text, message):
    path = tmp_path / "Pulumi.demo.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        read_stack_file(path)
    assert str(caught.value) == f"{path}{message}"
    with pytest.raises(PreviewError) as through_preview:
        load_stack_config("demo", "nodeapi", tmp_path)
    assert (str(through_preview.value), through_preview.value.exit_code) == (f"{path}{message}", 2)


def test_unreadable_files(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"config:\n  a: \xff\n")
    (tmp_path / "folder.yaml").mkdir()
    for path, message in [(binary, "not UTF-8 text (byte 13)"), (tmp_path / "folder.yaml", "cannot read it (Is a directory)"),
                          (tmp_path / "absent.yaml", "file not found")]:
        with pytest.raises(SettingsError) as caught:
            read_stack_file(path)
        assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize("text, config", [
    ("", {}),
    ("# only a comment\n", {}),
    ("encryptionsalt: v1:abc\n", {}),
    ("config:\n", {}),
    ("config:\n  aws:region: us-east-1\n  nodeapi:settings:\n    environment: staging\n",
     {"aws:region": "us-east-1", "nodeapi:settings": {"environment": "staging"}}),
])
def test_valid_stack_files(tmp_path, text, config):
    path = tmp_path / "Pulumi.demo.yaml"
    path.write_text(text)
    assert read_stack_file(path) == config


@pytest.mark.parametrize("text, message", [
    ("config:\n  nodeapi:settings:\n\tenvironment: staging\n",
     "{file}:3:1: invalid YAML: found character '\\t' that cannot start any token (YAML indents with spaces, not tabs)"),
    ("config:\n  nodeapi:settings: hello\n",
     "nodeapi:settings ({file}): got a plain string; expected a mapping of settings"),
    ("config:\n  aws:region: us-east-1\n",
     "nodeapi:settings ({file}): required key is missing (see README, 'Stack settings')"),
])
def test_cli_prints_one_line_and_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    assert main(["staging", "--config-file", str(path)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"error: {message.format(file=path)}\n")


def test_cli_names_a_missing_config_file(tmp_path, capsys):
    assert main(["prod", "--config-file", str(tmp_path / "absent.yaml")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'absent.yaml'}: file not found\n"


def test_config_file_replaces_the_stack_file(tmp_path, prod):
    """Rendering prod from a copy of its file elsewhere gives prod's graph: the stack name still comes from the
    command line, only the config comes from the file."""
    copy = tmp_path / "anything.yaml"
    shutil.copy(ROOT / "Pulumi.prod.yaml", copy)
    assert build_graph("prod", config_file=copy) == prod


def test_config_file_settings_are_validated_against_the_file(tmp_path, capsys):
    text = (ROOT / "Pulumi.staging.yaml").read_text().replace("environment: staging", "environment: qa")
    path = tmp_path / "qa.yaml"
    path.write_text(text)
    assert main(["staging", "--config-file", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: Invalid settings in nodeapi:settings ({path}):\n"
        "  environment: got 'qa'; input should be 'staging' or 'production'\n")

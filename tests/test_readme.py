"""README's promises: CI runs its test command, and its commands exist."""

import re

from colorgan.cli import _parser
from tests.conftest import REPO


def fenced_commands(text: str) -> list[str]:
    return [line.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S) for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    section = readme.split("**Run the tests**", 1)[1]
    test_command = fenced_commands(section)[0]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci], f"{test_command!r} not run by .ci/run"


def test_readme_cli_commands_exist():
    readme = (REPO / "README.md").read_text()
    commands = set(re.findall(r"python -m colorgan (\w+)", readme))
    known = set(_parser()._subparsers._group_actions[0].choices)
    assert commands and commands <= known, commands - known

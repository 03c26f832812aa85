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


def test_architecture_table_parameters_match_the_recipes():
    """The README's parameter counts are the shipped recipes' (rebuilt here), not remembered numbers."""
    from colorgan.config import load_recipe
    from colorgan.models import build_discriminator, build_generator, generator_names

    table = (REPO / "README.md").read_text().split("## Architectures", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert sorted(cells[0].strip("| ") for cells in rows) == sorted(generator_names())
    for cells in rows:
        name = cells[0].strip("| ")
        recipe = load_recipe(REPO / "train" / "configs" / f"{name}.yaml")
        kwargs = {k: v for k, v in recipe.model.generator.items() if k != "pretrained"}
        generator = sum(p.numel() for p in build_generator(recipe.model.arch, **kwargs).parameters())
        assert cells[-2] == f"{generator / 1e6:.2f}M", name
        if recipe.model.discriminator:
            disc = build_discriminator(recipe.model.discriminator, **recipe.model.discriminator_kwargs)
            expected = f"{recipe.model.discriminator} {sum(p.numel() for p in disc.parameters()) / 1e6:.2f}M |"
        else:
            expected = "none |"
        assert cells[-1] == expected, name

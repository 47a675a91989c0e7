"""What the README and the conda file promise agrees with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"python-duckdb": "duckdb"}


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(re.match(r"([A-Za-z0-9_.-]+)(.*)", line).groups() for line in lines)  # type: ignore[union-attr]


def _conda_requirements() -> dict[str, str]:
    found = {}
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        match = re.match(r"  - ([A-Za-z0-9_.-]+)([<>=!].*)?$", line)
        if match and match.group(1) not in ("python", "pip"):
            found[CONDA_NAMES.get(match.group(1), match.group(1))] = match.group(2) or ""
    return found


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject() -> None:
    assert _conda_requirements() == _pyproject_requirements()


def test_environment_yml_pins_the_same_python() -> None:
    assert "  - python=3.11\n" in (ROOT / "environment.yml").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\$ (.+)$", readme, flags=re.M)[:2]
    assert commands == ["./dev demo", "./dev test"]
    assert readme.index("./dev demo") < readme.index("##")
    assert "exec ./dev test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")

"""The README's Quick start holds exactly two commands, and CI runs the same test command."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    # The set-up commands are the fenced blocks before the first prose about logging in.
    setup = section.split("To log in", 1)[0]
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", setup, flags=re.DOTALL)]


def test_quick_start_has_exactly_two_single_line_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_word_for_word():
    ci = (REPO / ".ci" / "run").read_text()
    match = re.search(r'^TEST_COMMAND="(.*)"$', ci, flags=re.MULTILINE)
    assert match is not None
    assert match.group(1) == quick_start_commands()[1]

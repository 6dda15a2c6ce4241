"""Every code block a user can copy from the docs runs: each page's Python blocks, in order, in a fresh process
(a page's blocks build on each other), and every ``gnnlab`` command in a shell block parses with the real
command line's parser. The README's quick start has its own test (test_readme_tour.py)."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gnnlab.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))


def _blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_the_pages_are_found():
    names = {page.name for page in PAGES}
    assert {"getting-started.md", "own-layer.md", "embeddings.md", "minibatch.md", "link-prediction.md"} <= names
    assert sum(len(_blocks(page, "python")) for page in PAGES) >= 8


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p, "python")], ids=lambda p: p.name)
def test_python_blocks_run(page, tmp_path):
    code = "\n".join(_blocks(page, "python"))
    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, f"{page.name}:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{page.name}'s blocks print what they show"


def _commands(text: str) -> list[list[str]]:
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0].strip()
        for part in re.split(r"&&|;", line):
            words = shlex.split(part)
            if words and (words[0] == "gnnlab" or (words[0] == "torchrun" and "gnnlab" in words)):
                commands.append(words[words.index("gnnlab") + 1:])
    return commands


def _shell_commands() -> list[tuple[str, list[str]]]:
    found = []
    for page in [*PAGES, ROOT / "README.md"]:
        for block in _blocks(page, "bash"):
            found += [(page.name, words) for words in _commands(block)]
    return found


def test_shell_blocks_are_found():
    pages = {page for page, _ in _shell_commands()}
    assert {"README.md", "getting-started.md", "minibatch.md"} <= pages, pages


@pytest.mark.parametrize(("page", "words"), _shell_commands(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_gnnlab_commands_parse(page, words):
    try:
        build_parser().parse_args(words)
    except SystemExit as stop:
        pytest.fail(f"{page}: `gnnlab {' '.join(words)}` does not parse (exit {stop.code})")

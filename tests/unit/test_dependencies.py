"""Every package the app or the tests import is declared, and every declared package is locked.

A package that is only present because an earlier run installed it turns a newcomer's first run
red (issue #13): the app may import only ``install_requires``; the tests may import those and the
``test`` extra; ``benchmarks/`` and ``tools/`` may also use the ``server`` and ``dev`` extras.
``constraints.txt`` pins every declared package (and everything they pull in) to one version.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import sys
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCAL_PACKAGES = {"pmhc_directory", "tests", "benchmarks", "seed", "tools", "wsgi"}


@cache
def declared() -> dict[str, set[str]]:
    """Canonical distribution names per group: 'install' and each extra."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")

    def names(text: str) -> set[str]:
        lines = [line.strip() for line in text.splitlines()]
        return {canonicalize_name(Requirement(line).name) for line in lines if line}

    groups = {"install": names(config["options"]["install_requires"])}
    for extra, text in config["options.extras_require"].items():
        groups[extra] = names(text)
    return groups


def imported_top_level_modules(folder: Path) -> dict[str, str]:
    """Top-level module name -> first file importing it, over every .py file below ``folder``.

    Imports inside functions count too (they run when the code path runs); relative imports and
    this project's own packages do not.
    """
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in LOCAL_PACKAGES:
                    continue
                found.setdefault(top, str(path.relative_to(folder)))
    return found


def distributions_of(module: str) -> set[str]:
    return {
        canonicalize_name(name)
        for name in importlib.metadata.packages_distributions().get(module, [])
    }


def undeclared(folder: str, allowed_groups: tuple[str, ...]) -> list[str]:
    allowed = set().union(*(declared()[group] for group in allowed_groups))
    problems = []
    for module, where in imported_top_level_modules(REPO / folder).items():
        where = f"{folder}/{where}"
        dists = distributions_of(module)
        if not dists:
            problems.append(f"{module} (imported in {where}) is not installed by any package")
        elif not dists & allowed:
            problems.append(
                f"{module} (imported in {where}) comes from {sorted(dists)}, "
                f"not declared in {' / '.join(allowed_groups)}"
            )
    return problems


def test_the_app_imports_only_its_install_requires():
    assert undeclared("pmhc_directory", ("install",)) == []


def test_the_tests_import_only_the_app_and_test_dependencies():
    assert undeclared("tests", ("install", "test")) == []


@pytest.mark.parametrize("folder", ["benchmarks", "seed"])
def test_scripts_import_only_declared_packages(folder):
    if not (REPO / folder).is_dir():
        pytest.skip(f"no {folder}/ folder")
    assert undeclared(folder, ("install", "test", "server", "dev")) == []


def locked() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"not an exact pin: {line}"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_every_declared_package_is_pinned_in_the_lock():
    pins = locked()
    missing = sorted(set().union(*declared().values()) - set(pins))
    assert missing == []


def test_the_lock_pins_versions_within_the_declared_bounds():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    texts = [config["options"]["install_requires"], *config["options.extras_require"].values()]
    pins = locked()
    outside = [
        f"{requirement} but the lock has {pins[canonicalize_name(requirement.name)]}"
        for text in texts
        for line in text.splitlines()
        if line.strip()
        for requirement in [Requirement(line.strip())]
        if not requirement.specifier.contains(
            pins[canonicalize_name(requirement.name)], prereleases=True
        )
    ]
    assert outside == []


def test_the_helpers_find_what_they_look_for(tmp_path):
    """The scan sees imports at any depth, skips the standard library and local packages."""
    (tmp_path / "a.py").write_text(
        "import os\nimport numpy as np\nfrom pmhc_directory import x\n"
        "def f():\n    from shapely.geometry import Point\n    from . import sibling\n"
    )
    found = imported_top_level_modules(tmp_path)
    assert set(found) == {"numpy", "shapely"}
    assert distributions_of("shapefile") == {"pyshp"}

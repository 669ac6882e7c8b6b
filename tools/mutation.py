"""Mutation testing of one rule module with cosmic-ray (docs/development.md, "Test strength").

    python tools/mutation.py pmhc_directory/hours/rules.py            # a sample of 40 sites
    python tools/mutation.py pmhc_directory/gaps/fca.py --all         # every site
    python tools/mutation.py pmhc_directory/services/lookup/screening.py --sample 60 --seed 7
    python tools/mutation.py --list                                   # modules and their tests

What it does, one step at a time and never more than one pytest at once:

1. copies the project (the files git knows of, tracked or new, as they are in the work tree; or
   ``--rev REV`` as committed) into a temporary folder, with ``../shared`` linked beside it, so
   the shared work tree is never mutated in place (cosmic-ray writes each mutant into the file);
2. runs the module's tests once unmutated (they must pass; the run's time sets the timeout);
3. lists every mutation cosmic-ray's core operators can make in the module (``cosmic-ray
   init``) outside type annotations (never evaluated here), groups them by site (one operator
   family at one place in the code: the eleven replacements of one ``+`` are one site), draws
   one mutation per site and then ``--sample`` sites with the seeded random generator
   (``--all``: every site);
4. applies each drawn mutation in turn and runs the module's tests on it (``pytest -x``, on
   SQLite), recording killed / survived in a cosmic-ray session database (``cr-report`` reads
   it) and printing the diff of every survivor.

The score is killed / (killed + survived); mutations cosmic-ray cannot apply are not counted,
and a mutant whose tests time out counts as killed. Survivors that cannot change behaviour
(equivalent mutants) are listed with their reason in docs/development.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

LOOKUP_TESTS = (
    "tests/unit/test_lookup_params.py",
    "tests/unit/test_lookup_param_edges.py",
    "tests/integration/test_lookup_promises.py",
    "tests/integration/test_lookup_service.py",
    "tests/integration/test_gazetteer_cache.py",
    "tests/integration/test_lookup_screening.py",
    "tests/functional/test_lookup_promises_api.py",
    "tests/functional/test_lookup_answer_fields.py",
    "tests/functional/test_match_scenarios.py",
    "tests/functional/test_match_roads.py",
)
HOURS_TESTS = ("tests/unit/hours",)
# Fast, focused files first: with -x a mutant usually dies in the first seconds.
MATCHING_TESTS = (
    "tests/unit/matching/test_rules.py",
    "tests/unit/matching/test_ranking.py",
    "tests/unit/matching/test_matcher.py",
    "tests/unit/matching/test_edges.py",
    "tests/unit/matching/test_road_travel.py",
    "tests/unit/matching/test_screen.py",
    "tests/unit/matching/test_matcher_properties.py",
    "tests/unit/matching/test_properties.py",
)

#: The rule modules and the tests that exercise each (paths that do not exist are left out).
MODULES: dict[str, tuple[str, ...]] = {
    "pmhc_directory/matching/rules.py": MATCHING_TESTS,
    "pmhc_directory/matching/ranking.py": MATCHING_TESTS,
    "pmhc_directory/matching/matcher.py": MATCHING_TESTS,
    "pmhc_directory/matching/model.py": MATCHING_TESTS,
    # Screening is the lookup's numpy twin of the rules: the equality test runs it on real rows.
    "pmhc_directory/matching/screen.py": (
        *MATCHING_TESTS,
        "tests/integration/test_lookup_screening.py",
    ),
    # The registry of per-lookup rules and its arrays: the vector-equals-scalar tests are in
    # test_screen.py; the equality test runs the lookup's arrays through it.
    "pmhc_directory/matching/sites.py": (
        *MATCHING_TESTS,
        "tests/integration/test_lookup_screening.py",
    ),
    "pmhc_directory/hours/rules.py": HOURS_TESTS,
    "pmhc_directory/hours/clock.py": HOURS_TESTS,
    "pmhc_directory/hours/engine.py": HOURS_TESTS,
    "pmhc_directory/hours/describe.py": HOURS_TESTS,
    "pmhc_directory/hours/freeform.py": HOURS_TESTS,
    # The lookup package (services/lookup/): its rule-bearing modules.
    "pmhc_directory/services/lookup/parameters.py": LOOKUP_TESTS,
    "pmhc_directory/services/lookup/screening.py": LOOKUP_TESTS,
    "pmhc_directory/services/lookup/answer.py": LOOKUP_TESTS,
    "pmhc_directory/services/lookup/unmet.py": LOOKUP_TESTS,
    "pmhc_directory/outcomes/privacy.py": (
        "tests/unit/outcomes/test_privacy.py",
        "tests/unit/outcomes/test_privacy_edges.py",
        "tests/integration/test_outcomes_breakdowns.py",
    ),
    "pmhc_directory/gaps/fca.py": ("tests/unit/gaps/test_fca.py",),
    "pmhc_directory/gaps/coverage.py": (
        "tests/unit/gaps/test_coverage.py",
        "tests/unit/gaps/test_sparse_coverage.py",
        "tests/unit/gaps/test_coverage_edges.py",
        "tests/integration/test_sparse_coverage_service.py",
    ),
}


def _copy_project(destination: Path, rev: str | None) -> None:
    """The project's files into ``destination``: ``rev`` as committed, else the work tree."""
    destination.mkdir(parents=True)
    if rev:
        # Fixed programs on the developer's own checkout (S603/S607: no untrusted input).
        archive = subprocess.run(  # noqa: S603
            ["git", "archive", rev],  # noqa: S607
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(  # noqa: S603
            ["tar", "-x", "-C", str(destination)],  # noqa: S607
            input=archive,
            check=True,
        )
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _site_key(item) -> tuple:
    """One site: an operator family (``ReplaceBinaryOperator``, not ``_Add_Mul``) at a place."""
    mutation = item.mutations[0]
    family = mutation.operator_name.split("_")[0]
    return (family, tuple(mutation.start_pos), tuple(mutation.end_pos))


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's type annotations are, as ((line, column), (end line, end column)).

    Every rule module starts with ``from __future__ import annotations``, so annotations are
    never evaluated: a mutant inside one (``bool | None`` made ``bool // None``) cannot change
    behaviour and is not drawn.
    """
    import ast

    tree = ast.parse(source)
    if not any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    ):
        return []
    found = []
    for node in ast.walk(tree):
        notes: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            notes.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            notes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            notes.append(node.annotation)
        for note in notes:
            if note is not None and note.end_lineno is not None:
                start = (note.lineno, note.col_offset)
                found.append((start, (note.end_lineno, note.end_col_offset or 0)))
    return found


def _in_annotation(item, spans: list) -> bool:
    start = tuple(item.mutations[0].start_pos)
    return any(first <= start < last for first, last in spans)


def _draw(items: list, sample: int | None, seed: int) -> list:
    """One mutation per site, then ``sample`` sites (all when None), both with ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    sites: dict[tuple, list] = {}
    for item in sorted(items, key=lambda i: (_site_key(i), i.mutations[0].operator_name)):
        sites.setdefault(_site_key(item), []).append(item)
    chosen = [rng.choice(group) for _, group in sorted(sites.items())]
    if sample is not None and sample < len(chosen):
        chosen = rng.sample(chosen, sample)
    return sorted(chosen, key=lambda i: tuple(i.mutations[0].start_pos))


def _pytest_command(tests: tuple[str, ...]) -> str:
    return " ".join(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header"]
        + ["-p", "no:randomly", *tests]
    )


def _check_imports_the_copy(copy: Path) -> None:
    """Stop unless Python run in the copy imports the copy's package: an installed or
    ``PYTHONPATH`` checkout found first would be tested instead of the mutants."""
    found = subprocess.run(  # noqa: S603 - our own interpreter, a fixed statement
        [sys.executable, "-c", "import pmhc_directory; print(pmhc_directory.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"the tests would import {found}, not the copy in {copy}")
    print(f"imports: {found}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", nargs="?", help="e.g. pmhc_directory/hours/rules.py")
    parser.add_argument("--sample", type=int, default=40, help="sites to try (default 40)")
    parser.add_argument("--all", action="store_true", help="try every site")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--rev", help="mutate this git revision instead of the work tree")
    parser.add_argument("--tests", nargs="+", help="tests to run instead of the module's own")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    args = parser.parse_args(argv)

    if args.list or not args.module:
        for module, tests in MODULES.items():
            print(f"{module}\n    {' '.join(tests)}")
        return 0 if args.list else 2
    module = args.module
    tests = tuple(args.tests or MODULES.get(module, ()))
    if not tests:
        parser.error(f"{module} is not a configured rule module; give --tests")

    # cosmic-ray ships no type information (no py.typed, no stubs); a dev-only tool.
    from cosmic_ray.commands.init import init as cosmic_ray_init  # type: ignore[import-untyped]
    from cosmic_ray.mutating import mutate_and_test  # type: ignore[import-untyped]
    from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]

    workspace = Path(tempfile.mkdtemp(prefix="pmhc-mutation-"))
    copy = workspace / "repo"
    _copy_project(copy, args.rev)
    shared = REPO.parent / "shared"
    if shared.is_dir():
        (workspace / "shared").symlink_to(shared)
    tests = tuple(t for t in tests if (copy / t).exists())
    os.chdir(copy)
    # SQLite in the copy's own temporary folder: mutants never touch a shared database.
    os.environ.pop("PMHC_TEST_DATABASE_URL", None)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
    command = _pytest_command(tests)
    _check_imports_the_copy(copy)

    print(f"copy: {copy}\ntests: {' '.join(tests)}", flush=True)
    started = time.monotonic()
    baseline = subprocess.run(  # noqa: S603 - our own pytest command
        shlex.split(command), capture_output=True, text=True
    )
    baseline_seconds = time.monotonic() - started
    if baseline.returncode != 0:
        print(baseline.stdout[-3000:], baseline.stderr[-2000:])
        print("The tests fail without any mutation: fix them first.", file=sys.stderr)
        return 1
    timeout = max(60.0, 3 * baseline_seconds)
    print(f"baseline: passed in {baseline_seconds:.1f} s (timeout per mutant {timeout:.0f} s)")

    session = workspace / "session.sqlite"
    with use_db(str(session), WorkDB.Mode.create) as work_db:
        cosmic_ray_init([Path(module)], work_db, {})
        spans = _annotation_spans(Path(module).read_text("utf-8"))
        every = list(work_db.work_items)
        items = [i for i in every if not _in_annotation(i, spans)]
        chosen = _draw(items, None if args.all else args.sample, args.seed)
        sites = len({_site_key(i) for i in items})
        print(
            f"{len(items)} mutations at {sites} sites ({len(every) - len(items)} in "
            f"annotations left out); trying {len(chosen)} (seed {args.seed})"
        )
        counts = {"killed": 0, "survived": 0, "not applied": 0}
        survivors: list[dict[str, object]] = []
        run_started = time.monotonic()
        for number, item in enumerate(chosen, 1):
            mutation = item.mutations[0]
            began = time.monotonic()
            result = mutate_and_test(item.mutations, command, timeout)
            work_db.set_result(item.job_id, result)
            seconds = time.monotonic() - began
            if result.test_outcome is None:
                outcome = "not applied"
            elif result.is_killed:
                outcome = "killed"
            else:
                outcome = "survived"
                survivors.append(
                    {
                        "operator": mutation.operator_name,
                        "line": mutation.start_pos[0],
                        "definition": mutation.definition_name,
                        "diff": result.diff,
                    }
                )
            counts[outcome] += 1
            print(
                f"[{number}/{len(chosen)}] {outcome:8} {seconds:5.1f} s line "
                f"{mutation.start_pos[0]:4} {mutation.operator_name}",
                flush=True,
            )
            if outcome == "survived":
                print(result.diff, flush=True)
        elapsed = time.monotonic() - run_started
    judged = counts["killed"] + counts["survived"]
    score = counts["killed"] / judged if judged else 1.0
    print(
        f"\n{module}: {counts['killed']} of {judged} killed ({score:.0%}); "
        f"{counts['not applied']} not applied; {elapsed / 60:.1f} min; session {session}"
    )
    if args.json:
        summary = {
            "module": module,
            "seed": args.seed,
            "sites": sites,
            "mutations": len(items),
            "tried": len(chosen),
            **counts,
            "score": score,
            "minutes": round(elapsed / 60, 1),
            "survivors": survivors,
        }
        args.json.write_text(json.dumps(summary, indent=2))
    shutil.rmtree(copy, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

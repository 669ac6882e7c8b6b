"""The import format registry (``hsds.readers``): one declaration per format, read by the CLI,
the import page and the importer."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import click
import pytest

from pmhc_directory.cli import import_command
from pmhc_directory.hsds.readers import (
    FORMAT_NAMES,
    READERS,
    ImportFormat,
    UnknownFormatError,
    detect_format,
    format_named,
    read_with,
)
from pmhc_directory.hsds.sample import FileSample
from pmhc_directory.services.import_runs import FORMAT_LABELS


def _zip(path: Path, *members: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for member in members:
            archive.writestr(member, "id\n")
    return path


def _samples(tmp_path: Path) -> dict[str, Path]:
    """One file of each format, as small as detection needs."""
    (tmp_path / "a.json").write_text(json.dumps([{"id": "x"}]), encoding="utf-8")
    (tmp_path / "b.ndjson").write_text('{"id": "x"}\n{"id": "y"}\n', encoding="utf-8")
    (tmp_path / "c.csv").write_text("name1,name2,street1\nA,,1 Main St\n", encoding="utf-8")
    return {
        "hsds-json": tmp_path / "a.json",
        "hsds-ndjson": tmp_path / "b.ndjson",
        "hsds-csv": _zip(tmp_path / "p.zip", "pkg/datapackage.json", "pkg/services.csv"),
        "hsds1-csv": _zip(tmp_path / "l.zip", "services.csv", "organizations.csv"),
        "samhsa-csv": tmp_path / "c.csv",
    }


def test_names_are_unique_and_the_cli_and_page_offer_them_all():
    assert len(set(FORMAT_NAMES)) == len(READERS) == 5
    option = next(p for p in import_command.params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == FORMAT_NAMES
    assert list(FORMAT_LABELS) == list(FORMAT_NAMES)


def test_every_format_recognises_its_own_sample_and_no_other_format_claims_it(tmp_path):
    samples = _samples(tmp_path)
    assert set(samples) == set(FORMAT_NAMES)
    for name, path in samples.items():
        assert detect_format(path, path.name) == name
        claimed = [r.name for r in READERS if r.sniff(_sample(path))]
        assert claimed == [name]


def _sample(path: Path) -> FileSample:
    from pmhc_directory.hsds.sample import sample_of

    sample = sample_of(path, path.name)
    assert sample is not None
    return sample


def test_unreadable_or_unknown_files_are_not_guessed(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert detect_format(tmp_path / "notes.txt", "notes.txt") is None
    assert detect_format(tmp_path / "missing.json", "missing.json") is None
    assert detect_format(_zip(tmp_path / "x.zip", "readme.txt"), "x.zip") is None


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownFormatError, match="'xml' is not supported") as caught:
        format_named("xml")
    for name in FORMAT_NAMES:
        assert name in str(caught.value)


def test_read_with_passes_only_the_options_a_reader_takes(tmp_path):
    seen: list[dict] = []

    def reader(path: Path, **options: object) -> list[dict]:
        seen.append(options)
        return []

    plain = ImportFormat("x", "X", reader, (".x",), lambda _s: False)
    both = ImportFormat(
        "y", "Y", reader, (".y",), lambda _s: False, takes_taxonomy_map=True, takes_log=True
    )
    read_with(plain, tmp_path, taxonomy_map=tmp_path / "map.csv")
    read_with(both, tmp_path, taxonomy_map=tmp_path / "map.csv")
    assert seen == [{}, {"taxonomy_map": tmp_path / "map.csv", "log": None}]

"""search.writer: a writer sped up by speed_up() writes what plain whoosh writes."""

from __future__ import annotations

import pytest
from whoosh import writing
from whoosh.filedb.filestore import RamStorage

from pmhc_directory.search.schema import SCHEMA, service_document
from pmhc_directory.search.writer import (
    LengthsReadOnce,
    PostingsInMemory,
    add_document,
    speed_up,
)
from tests.unit.test_search_ranking import corpus


def contents(index) -> dict:
    """Everything a search can read: per segment, stored fields, lengths, every posting."""
    found = {}
    with index.searcher() as searcher:
        for number, (leaf, _offset) in enumerate(searcher.reader().leaf_readers()):
            size = leaf.doc_count_all()
            segment = {
                "stored": [leaf.stored_fields(d) for d in range(size)],
                "deleted": sorted(leaf.all_doc_ids()),
            }
            for field in SCHEMA.names():
                if not SCHEMA[field].indexed:
                    continue
                segment[f"lengths {field}"] = [
                    leaf.doc_field_length(d, field, 0) for d in range(size)
                ]
                terms = {}
                for text in leaf.lexicon(field):
                    matcher = leaf.postings(field, text)
                    postings = []
                    while matcher.is_active():
                        postings.append((matcher.id(), matcher.weight(), matcher.value()))
                        matcher.next()
                    terms[text] = postings
                segment[f"postings {field}"] = terms
            found[number] = segment
    return found


def written(fast: bool, steps) -> dict:
    index = RamStorage().create_index(SCHEMA)
    for clear, documents, deleted in steps:
        writer = index.writer()
        if fast:
            speed_up(writer)
            assert isinstance(writer.pool, PostingsInMemory)
        for document in documents:
            if clear:
                add_document(writer, document) if fast else writer.add_document(**document)
            else:
                writer.update_document(**document)
        for service_id in deleted:
            writer.delete_by_term("id", service_id)
        writer.commit(mergetype=writing.CLEAR if clear else None)
    return contents(index)


SERVICES = corpus(300, seed=11)
DOCUMENTS = [service_document(s) for s in SERVICES]


@pytest.mark.parametrize(
    "steps",
    [
        # a rebuild
        [(True, DOCUMENTS, [])],
        # a rebuild, then updates, deletions and small commits that whoosh merges
        [(True, DOCUMENTS[:200], [])]
        + [(False, DOCUMENTS[200 + 10 * i : 210 + 10 * i], [SERVICES[i].id]) for i in range(10)]
        + [(False, DOCUMENTS[5:40:3], [SERVICES[50].id])],
    ],
    ids=["rebuild", "updates-and-merges"],
)
def test_a_sped_up_writer_writes_what_whoosh_writes(steps):
    assert written(True, steps) == written(False, steps)


def segment_files(fast: bool) -> dict[str, bytes]:
    """The files of a rebuilt index's one segment, by name without the segment's id."""
    storage = RamStorage()
    index = storage.create_index(SCHEMA)
    writer = index.writer()
    if fast:
        speed_up(writer)
    for document in DOCUMENTS:
        add_document(writer, document) if fast else writer.add_document(**document)
    writer.commit(mergetype=writing.CLEAR)
    [segment] = index._segments()
    files = segment.open_compound_file(storage)
    found = {}
    for name in files.list():
        with files.open_file(name) as file:
            found[name.split(segment.segment_id(), 1)[1]] = file.read()
    files.close()
    return found


def test_a_sped_up_rebuild_writes_the_same_bytes():
    fast = segment_files(True)
    assert {".trm", ".pst", "._stored.col", "._name_len.col"} <= set(fast)
    assert fast == segment_files(False)


def test_postings_come_back_by_field_term_and_document():
    pool = PostingsInMemory()
    items = [
        ("name", b"sober", 4, 1.0, b"\x01"),
        ("name", b"crisis", 7, 2.0, b"\x02"),
        ("description", b"sober", 2, 1.0, b"\x01"),
        ("name", b"sober", 1, 1.0, b"\x01"),  # out of order: a merged segment
        ("name", b"crisis", 3, 1.0, b"\x01"),
    ]
    for item in items:
        pool.add(item)
    assert list(pool.iter_postings()) == sorted(items)
    assert pool.fieldnames == {"name", "description"}
    pool.cleanup()
    assert list(pool.iter_postings()) == []


def test_lengths_read_once_are_the_readers_lengths():
    index = RamStorage().create_index(SCHEMA)
    writer = index.writer()
    for document in DOCUMENTS[:50]:
        writer.add_document(**document)
    writer.perdocwriter.close()
    reader = writer.per_document_reader()
    lengths = LengthsReadOnce(writer.per_document_reader())
    for field in ("name", "description", "places", "kind"):
        for docnum in range(50):
            assert lengths.doc_field_length(docnum, field) == reader.doc_field_length(docnum, field)
    reader.close()
    lengths.close()
    writer.cancel()

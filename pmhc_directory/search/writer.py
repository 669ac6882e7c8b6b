"""Making whoosh's segment writer cheaper per posting, for rebuilds of 50,000 services and more.

A whoosh ``SegmentWriter`` puts every posting into a ``PostingPool``, which sorts them as
tuples and, past ``limitmb``, pickles sorted runs to temporary files and merges them back; when
the segment is written, it looks up the document's field length again for every posting, one
seek into the lengths column at a time. A rebuild of 50,000 services writes about two million
postings, and these two steps cost about a third of it. :func:`speed_up` gives a writer

* a pool that keeps postings grouped by (field, term) in memory, with document numbers in
  compact arrays, and hands them back in the order whoosh's pool would (field, term, document);
* field lengths read once per field, in one read of its column, when the segment is written.

The files written are the same (``tests/unit/test_search_writer.py`` compares them with plain
whoosh's). Anything other than whoosh's own ``SegmentWriter`` and per-document reader is left
as it is.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from .schema import IndexedText

# (field name, term bytes, document number, weight, encoded value), as whoosh passes them.
Posting = tuple[str, bytes, int, float, bytes]

_LENGTH_OF_BYTE: list[int | None] = [None] + [byte_to_length(b) for b in range(1, 256)]


class PostingsInMemory:
    """A stand-in for a writer's ``PostingPool``: postings grouped by (field, term).

    Memory: about 16 bytes per posting (a document number and a reference to a shared
    (weight, value) pair), a few hundred bytes per distinct term.
    """

    def __init__(self) -> None:
        self._docs: dict[tuple[str, bytes], array[int]] = {}
        self._values: dict[tuple[str, bytes], list[tuple[float, bytes]]] = {}
        self._shared: dict[tuple[float, bytes], tuple[float, bytes]] = {}
        # Terms whose documents did not arrive in order (a merge, an update after a delete).
        self._unordered: set[tuple[str, bytes]] = set()
        self.fieldnames: set[str] = set()

    def add(self, item: Posting) -> None:
        fieldname, text, docnum, weight, value = item
        key = (fieldname, text)
        docs = self._docs.get(key)
        if docs is None:
            docs = self._docs[key] = array("q")
            self._values[key] = []
            self.fieldnames.add(fieldname)
        elif docnum < docs[-1]:
            self._unordered.add(key)
        docs.append(docnum)
        pair = (weight, value)
        self._values[key].append(self._shared.setdefault(pair, pair))

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting, by field, term and document number (as ``PostingPool`` sorts them)."""
        for key in sorted(self._docs):
            fieldname, text = key
            docs, values = self._docs[key], self._values[key]
            order: Any = range(len(docs))
            if key in self._unordered:
                order = sorted(order, key=lambda i: (docs[i], values[i]))
            for i in order:
                weight, value = values[i]
                yield fieldname, text, docs[i], weight, value

    def add_field(
        self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, int, float, bytes]]
    ) -> int:
        """Add one document's postings of one field; returns the sum of their frequencies."""
        length = 0
        docs_of, values_of, shared = self._docs, self._values, self._shared
        for text, frequency, weight, value in items:
            length += frequency
            key = (fieldname, text)
            docs = docs_of.get(key)
            if docs is None:
                docs = docs_of[key] = array("q")
                values_of[key] = []
                self.fieldnames.add(fieldname)
            elif docnum < docs[-1]:
                self._unordered.add(key)
            docs.append(docnum)
            pair = (weight, value)
            values_of[key].append(shared.setdefault(pair, pair))
        return length

    def cleanup(self) -> None:
        self._docs.clear()
        self._values.clear()
        self._shared.clear()
        self._unordered.clear()


class LengthsReadOnce:
    """A per-document reader's field lengths, each field's column read in one go."""

    def __init__(self, reader: W3PerDocReader) -> None:
        self._reader = reader
        self._lengths: dict[str, list[int | None] | None] = {}

    def _read(self, fieldname: str) -> list[int | None] | None:
        column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return None
        if isinstance(column, NumericColumn.Reader) and column._typecode == "B":
            raw = column._dbfile.get(column._basepos, column._count)
            return [_LENGTH_OF_BYTE[b] for b in raw]
        return [
            self._reader.doc_field_length(docnum, fieldname)
            for docnum in range(self._reader.doc_count_all())
        ]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """As ``W3PerDocReader.doc_field_length``: None for a length of 0."""
        if fieldname not in self._lengths:
            self._lengths[fieldname] = self._read(fieldname)
        lengths = self._lengths[fieldname]
        if lengths is None:
            return default
        if docnum >= len(lengths):
            return self._reader.doc_field_length(docnum, fieldname, default)
        return lengths[docnum]

    def close(self) -> None:
        self._lengths.clear()
        self._reader.close()


def add_document(writer: Any, fields: dict[str, str]) -> None:
    """``writer.add_document(**fields)``, with each field's postings added in one call.

    Does what ``SegmentWriter.add_document`` does for documents of plain field values (no
    boosts, no ``_stored_`` values) of fields without spelling words, term vectors or
    columns; anything else, or a writer :func:`speed_up` did not change, goes to whoosh.
    """
    pool = writer.pool
    schema = writer.schema
    if not isinstance(pool, PostingsInMemory) or not all(
        name in schema and _plain(schema[name]) for name in fields
    ):
        writer.add_document(**fields)
        return
    writer._check_state()
    docnum = writer.docnum
    perdoc = writer.perdocwriter
    perdoc.start_doc(docnum)
    try:
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                if isinstance(field, IndexedText):
                    items: Iterable[tuple[bytes, int, float, bytes]] = field.postings(value)
                else:
                    items = field.index(value)
                length = pool.add_field(name, docnum, items)
                length = length if field.scorable else 0
            perdoc.add_field(name, field, value if field.stored else None, length)
    except Exception:
        perdoc.cancel_doc()
        raise
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


def _plain(field: Any) -> bool:
    return not (field.separate_spelling() or field.vector or field.column_type)


def speed_up(writer: Any) -> None:
    """Give a fresh whoosh ``SegmentWriter`` the in-memory pool and the lengths read once."""
    if type(writer) is not SegmentWriter or type(writer.pool) is not PostingPool:
        return
    if writer.pool.current or writer.pool.runs:  # pragma: no cover - only fresh writers
        return
    writer.pool = PostingsInMemory()
    read_per_document = writer.per_document_reader

    def per_document_reader() -> Any:
        reader = read_per_document()
        return LengthsReadOnce(reader) if type(reader) is W3PerDocReader else reader

    writer.per_document_reader = per_document_reader

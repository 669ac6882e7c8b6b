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

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3FieldWriter, W3PerDocReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from .schema import IndexedText

# (field name, term bytes, document number, weight, encoded value), as whoosh passes them.
Posting = tuple[str, bytes, int, float, bytes]

# Distinct (field, value) pairs whose postings PostingsInMemory.indexed remembers, and the
# longest value remembered (organization names, type lists and short names repeat across
# services; long descriptions seldom do). At most about 10 MB.
_INDEXED_KEPT = 20_000
_INDEXED_LONGEST = 200
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
        self._indexed: dict[tuple[str, str], list[tuple[bytes, int, float, bytes]]] = {}

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

    def iter_postings(self) -> Iterable[Posting]:
        """Every posting, by field, term and document number (as ``PostingPool`` sorts them)."""
        return _Grouped(self)

    def terms(self) -> Iterator[tuple[str, bytes, list[int], list[tuple[float, bytes]]]]:
        """(field, term, document numbers, (weight, value) pairs) of each term, in order."""
        for key in sorted(self._docs):
            fieldname, text = key
            docs, values = self._docs[key].tolist(), self._values[key]
            if key in self._unordered:
                order = sorted(range(len(docs)), key=lambda i: (docs[i], values[i]))
                docs, values = [docs[i] for i in order], [values[i] for i in order]
            yield fieldname, text, docs, values

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

    def indexed(self, name: str, field: Any, value: str) -> list[tuple[bytes, int, float, bytes]]:
        """``field.index(value)`` (``IndexedText.postings``), remembered for values that may
        repeat (kinds, statuses, type lists, organization names; not the values of a unique
        field such as the id, nor long texts)."""
        if field.unique or len(value) > _INDEXED_LONGEST:
            return _postings(field, value)
        key = (name, value)
        found = self._indexed.get(key)
        if found is None:
            if len(self._indexed) >= _INDEXED_KEPT:
                self._indexed.clear()
            found = self._indexed[key] = _postings(field, value)
        return found

    def cleanup(self) -> None:
        self._docs.clear()
        self._values.clear()
        self._shared.clear()
        self._unordered.clear()
        self._indexed.clear()


class _Grouped:
    """A pool's postings: iterated one at a time by whoosh, a block at a time by
    :func:`write_grouped`."""

    def __init__(self, pool: PostingsInMemory) -> None:
        self.pool = pool

    def __iter__(self) -> Iterator[Posting]:
        for fieldname, text, docs, values in self.pool.terms():
            for docnum, (weight, value) in zip(docs, values, strict=True):
                yield fieldname, text, docnum, weight, value


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
            found = [_LENGTH_OF_BYTE[b] for b in raw]
            # Documents past the column's end have no length, as whoosh reads them.
            return found + [None] * (self._reader.doc_count_all() - len(found))
        return [
            self._reader.doc_field_length(docnum, fieldname)
            for docnum in range(self._reader.doc_count_all())
        ]

    def field(self, fieldname: str) -> list[int | None] | None:
        """Every document's length of ``fieldname`` (None for 0; None without lengths)."""
        if fieldname not in self._lengths:
            self._lengths[fieldname] = self._read(fieldname)
        return self._lengths[fieldname]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """As ``W3PerDocReader.doc_field_length``: None for a length of 0."""
        lengths = self.field(fieldname)
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
    plan = _plan(writer.schema)
    if not isinstance(pool, PostingsInMemory) or not all(name in plan for name in fields):
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
            field, indexed, scorable, stored = plan[name]
            length = 0
            if indexed:
                length = pool.add_field(name, docnum, pool.indexed(name, field, value))
                length = length if scorable else 0
            perdoc.add_field(name, field, value if stored else None, length)
    except Exception:
        perdoc.cancel_doc()
        raise
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


_PLANS: dict[int, tuple[Any, dict[str, tuple[Any, bool, bool, bool]]]] = {}


def _plan(schema: Any) -> dict[str, tuple[Any, bool, bool, bool]]:
    """Each plain field of ``schema`` (see :func:`_plain`) with whether it is indexed,
    scorable and stored: read once per schema, not once per field of every document."""
    found = _PLANS.get(id(schema))
    if found is None or found[0] is not schema:
        plan = {
            name: (field, bool(field.indexed), bool(field.scorable), bool(field.stored))
            for name, field in schema.items()
            if _plain(field)
        }
        _PLANS.clear()  # one schema in use at a time; keeps no old schema alive
        found = _PLANS[id(schema)] = (schema, plan)
    return found[1]


def _postings(field: Any, value: str) -> list[tuple[bytes, int, float, bytes]]:
    return field.postings(value) if isinstance(field, IndexedText) else list(field.index(value))


def _plain(field: Any) -> bool:
    return not (field.separate_spelling() or field.vector or field.column_type)


def write_grouped(fieldwriter: Any, schema: Any, lengths: Any, pool: PostingsInMemory) -> None:
    """What ``FieldWriter.add_postings`` does with every posting of ``pool``, with a block of
    postings (128) handed to whoosh's postings writer at a time instead of one posting."""
    current = None
    field_lengths: list[int | None] | None = None
    for fieldname, text, docs, values in pool.terms():
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
            field_lengths = lengths.field(fieldname) if lengths is not None else None
        fieldwriter.start_term(text)
        postwriter = fieldwriter._postwriter
        size = postwriter._blocklimit
        for start in range(0, len(docs), size):
            if start:
                postwriter._write_block()
            block = docs[start : start + size]
            _fill_block(postwriter, block, values[start : start + size], field_lengths)
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


def _fill_block(
    postwriter: Any,
    docs: list[int],
    values: list[tuple[float, bytes]],
    lengths: list[int | None] | None,
) -> None:
    """``postwriter.add_posting`` for each posting of one block (an empty block to fill)."""
    postwriter._ids.extend(docs)
    weights = [weight for weight, _value in values]
    postwriter._weights.extend(weights)
    top = max(weights)
    if top > postwriter._maxweight:
        postwriter._maxweight = top
    postwriter._values.extend(value for _weight, value in values if value)
    if lengths is None:
        return
    found = [length for length in (lengths[d] for d in docs) if length]
    if found:
        postwriter._minlength = min(found)
        postwriter._maxlength = max(postwriter._maxlength, max(found))


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
    fieldwriter = writer.fieldwriter
    if type(fieldwriter) is not W3FieldWriter:  # pragma: no cover - the only codec in use
        return
    add_postings = fieldwriter.add_postings

    def add_grouped(schema: Any, lengths: Any, items: Any) -> None:
        if isinstance(items, _Grouped) and (
            lengths is None or isinstance(lengths, LengthsReadOnce)
        ):
            write_grouped(fieldwriter, schema, lengths, items.pool)
        else:
            add_postings(schema, lengths, items)

    fieldwriter.add_postings = add_grouped

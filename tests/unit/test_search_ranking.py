"""How the index ranks and pages: whoosh's BM25F scores, whatever the segments, and keep's cache.

Searches score postings read as arrays rather than through whoosh's matchers (see the
``search.index`` docstring); these tests hold them to whoosh's own scores for the same queries.
"""

from __future__ import annotations

import random

import pytest
from whoosh.fields import TEXT
from whoosh.filedb.filestore import FileStorage
from whoosh.query import And, Or

from pmhc_directory.search import index as index_module
from pmhc_directory.search.index import (
    MATCH_ALL,
    MATCH_ANY,
    SearchIndex,
    query_words,
    word_query,
)
from pmhc_directory.search.schema import (
    SCHEMA,
    TEXT_FIELDS,
    IndexedText,
    ServiceText,
    build_schema,
    make_analyzer,
    service_document,
)

WORDS = [
    "crisis",
    "sobering",
    "center",
    "mobile",
    "team",
    "housing",
    "shelter",
    "peer",
    "support",
    "recovery",
    "withdrawal",
    "management",
    "case",
    "counseling",
    "spanish",
    "opioid",
    "treatment",
    "psychiatric",
    "emergency",
    "respite",
    "care",
    "cases",
    "crises",
    "sober",
    "teams",
    "houses",
]
TOWNS = ["Albuquerque", "Belen", "Corrales", "Bernalillo", "Grants", "Gallup", "Taos"]
TYPES = ["crisis-line", "mobile-crisis", "sobering-center", "peer-support", "emergency-shelter"]
QUERIES = [
    "crisis",
    "sobering center",
    "crisus team",
    "withdrawl",
    "case management",
    "peer support gallup",
    "psychiatrik emergenci",
    "housing zzzz",
    "taos",
]


def corpus(count: int, seed: int = 7) -> list[ServiceText]:
    """Services with overlapping words, field lengths that differ, and some exact name ties."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)

    def words(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

    return [
        ServiceText(
            id=f"s{n:04}",
            name=f"{words(1, 3)} {rng.choice(['', 'East', 'West'])}".strip() or "Center",
            alternate_name=words(0, 2),
            description=words(3, 30),
            organization=f"{rng.choice(TOWNS)} {words(1, 2)}",
            type_codes=tuple(rng.sample(TYPES, rng.randint(1, 2))),
            type_names=(words(1, 2),),
            places=tuple(rng.sample(TOWNS, rng.randint(1, 3))),
        )
        for n in range(count)
    ]


SERVICES = corpus(400)  # enough for postings of several blocks (whoosh writes 128 per block)


def ids(page) -> list[str]:
    return [hit.id for hit in page.hits]


def whoosh_ranking(index: SearchIndex, q: str) -> tuple[str, list[tuple[float, str]]]:
    """(match, [(score, id)]) as whoosh's own searcher ranks ``q``: best first, ties by name."""
    words = [word_query(w) for w in query_words(q)]
    with index._ix().searcher() as searcher:

        def ranked(query) -> list[tuple[float, str]]:
            hits = [
                (h.score, h["name"].casefold(), h["id"]) for h in searcher.search(query, limit=None)
            ]
            return [
                (score, doc_id)
                for score, _n, doc_id in sorted(hits, key=lambda h: (-h[0], h[1], h[2]))
            ]

        found = ranked(And(words))
        if found or len(words) == 1:
            return MATCH_ALL, found
        return MATCH_ANY, ranked(Or(words))


@pytest.fixture
def whoosh_scores_every_segment_alike(monkeypatch):
    """whoosh scores a typo matching several words as a flat 1 in segments of up to 5,000
    documents; the index scores it everywhere as whoosh does in bigger segments."""
    monkeypatch.setattr(Or, "matcher_type", Or.DEFAULT_MATCHER)


def one_segment(services: list[ServiceText], folder=None) -> SearchIndex:
    index = SearchIndex.in_folder(folder) if folder else SearchIndex.in_memory()
    index.add_or_update(service_document(s) for s in services)
    return index


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory) -> SearchIndex:
    return one_segment(SERVICES, tmp_path_factory.mktemp("ranking") / "ix")


@pytest.fixture(scope="module")
def split() -> SearchIndex:
    index = SearchIndex.in_memory()
    for start in range(0, len(SERVICES), 90):  # five commits: several segments
        index.add_or_update(service_document(s) for s in SERVICES[start : start + 90])
    with index._ix().searcher() as searcher:
        assert len(list(searcher.reader().leaf_readers())) > 1
    return index


@pytest.mark.parametrize("q", QUERIES)
def test_scores_and_order_are_whooshs_bm25f(q, on_disk, whoosh_scores_every_segment_alike):
    match, expected = whoosh_ranking(on_disk, q)
    page = on_disk.search(q, per_page=100)
    assert page.match == match and page.total == len(expected)
    assert ids(page) == [doc_id for _s, doc_id in expected[:100]]
    top = expected[0][0]
    assert [hit.score for hit in page.hits] == [round(s / top, 4) for s, _i in expected[:100]]


@pytest.mark.parametrize("q", QUERIES)
def test_answers_do_not_depend_on_how_the_index_is_split_into_segments(q, on_disk, split):
    for page, per_page in ((1, 20), (3, 20), (1, 100)):
        a = on_disk.search(q, page=page, per_page=per_page)
        b = split.search(q, page=page, per_page=per_page)
        assert (a.total, a.match, a.hits) == (b.total, b.match, b.hits)


@pytest.mark.parametrize("sort_ties_below", [0, 5000])  # by the segment's name order, directly
def test_pages_of_tied_hits_in_several_segments_follow_name_order(sort_ties_below, monkeypatch):
    monkeypatch.setattr(index_module, "_SORT_TIES_BELOW", sort_ties_below)
    index = SearchIndex.in_memory()
    names = [f"Harbor {chr(65 + n % 26)}{n:03}" for n in range(120)]
    random.Random(3).shuffle(names)  # noqa: S311 (test data, not secrets)
    for start in range(0, 120, 40):
        index.add_or_update(
            service_document(ServiceText(id=f"h{n:03}", name=names[n]))
            for n in range(start, start + 40)
        )
    pages = [index.search("harbor", page=p, per_page=25) for p in range(1, 6)]
    listed = [hit.name for page in pages for hit in page.hits]
    assert listed == sorted(names, key=str.casefold)
    assert {hit.score for page in pages for hit in page.hits} == {1.0}
    assert pages[-1].hits == [] or len(pages[-1].hits) < 25


def test_types_filter_and_deleted_documents_in_the_ranking():
    index = one_segment(SERVICES)
    index.delete(["s0001", "s0002", "s0003"])
    page = index.search("crisis", types=["mobile-crisis"], per_page=100)
    by_id = {s.id: s for s in SERVICES}
    assert page.total and all("mobile-crisis" in by_id[i].type_codes for i in ids(page))
    assert not {"s0001", "s0002", "s0003"} & set(ids(page))


# keep, asked once per index version ------------------------------------------------------------


class Keep:
    """Drops the ids in ``gone``; counts how often and with how many ids it was asked."""

    def __init__(self, gone: set[str]) -> None:
        self.gone = gone
        self.asked: list[int] = []

    def __call__(self, found):
        self.asked.append(len(found))
        return [i for i in found if i not in self.gone]


def test_keep_with_a_key_is_asked_once_about_every_service_until_the_key_or_index_changes():
    index = one_segment(SERVICES)
    keep = Keep({"s0005"})
    first = index.search("crisis", per_page=100, keep=keep, keep_key=1)
    assert keep.asked == [len(SERVICES)]
    assert "s0005" not in ids(first)
    assert first.total == index.search("crisis", keep=Keep({"s0005"})).total
    second = index.search("sobering", per_page=100, keep=keep, keep_key=1)
    assert keep.asked == [len(SERVICES)]  # reused
    assert "s0005" not in ids(second)
    index.search("sobering", keep=keep, keep_key=2)
    assert len(keep.asked) == 2  # another key
    index.delete(["s0006"])
    index.search("sobering", keep=keep, keep_key=2)
    assert keep.asked[-1] == len(SERVICES) - 1  # another version of the index


def test_keep_with_a_key_gives_the_same_answers_as_keep_asked_per_search():
    index = one_segment(SERVICES)
    gone = {s.id for s in SERVICES[::7]}
    for q in QUERIES:
        for page in (1, 2):
            cached = index.search(q, page=page, keep=Keep(gone), keep_key="k")
            direct = index.search(q, page=page, keep=Keep(gone))
            assert (cached.total, cached.match, cached.hits) == (
                direct.total,
                direct.match,
                direct.hits,
            )
            assert not gone & set(ids(cached))


def test_an_index_written_with_word_positions_is_replaced_to_be_rebuilt(tmp_path, caplog):
    older = build_schema()
    for name in ("name", "description"):
        older.remove(name)
        older.add(name, TEXT(analyzer=make_analyzer(), stored=name == "name"))
    folder = tmp_path / "ix"
    FileStorage(str(folder)).create().create_index(older)
    caplog.set_level("WARNING")
    index = SearchIndex.in_folder(folder)
    assert index.read_state() is None  # empty: the caller rebuilds it from the database
    assert "older layout" in caplog.text
    index.add_or_update([service_document(SERVICES[0])])
    with index._ix().searcher() as searcher:
        schema = searcher.schema
        assert type(schema["description"].format) is type(SCHEMA["description"].format)
    assert SERVICES[0].id in ids(index.search(SERVICES[0].name, per_page=100))


def test_an_index_of_whoosh_text_fields_is_replaced_to_be_rebuilt(tmp_path, caplog):
    older = build_schema()  # layout 2: the same postings, written through whoosh's analysis
    for name in TEXT_FIELDS:
        older.remove(name)
        older.add(name, TEXT(analyzer=make_analyzer(), phrase=False, stored=name == "name"))
    folder = tmp_path / "ix"
    FileStorage(str(folder)).create().create_index(older)
    caplog.set_level("WARNING")
    index = SearchIndex.in_folder(folder)
    assert index.read_state() is None
    assert "older layout" in caplog.text
    index.add_or_update([service_document(SERVICES[0])])
    assert type(index._ix().schema["description"]) is IndexedText

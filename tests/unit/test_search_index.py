"""The whoosh index on RamStorage (and a folder): analysis, typos, weights, filters, paging."""

from __future__ import annotations

import logging
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT

from pmhc_directory.search.index import (
    MATCH_ALL,
    MATCH_ANY,
    MATCH_EVERY,
    MATCH_NONE,
    IndexBusyError,
    SearchIndex,
    query_words,
)
from pmhc_directory.search.schema import (
    SCHEMA,
    TEXT_FIELDS,
    IndexedText,
    ServiceText,
    make_analyzer,
    service_document,
)
from pmhc_directory.search.sync import (
    ALL_SERVICES,
    GAP_TTL_SECONDS,
    Change,
    SyncState,
    plan_catch_up,
    state_after_rebuild,
)

SOBERING = ServiceText(
    id="sobering",
    name="Eastside Sobering Center",
    description="A safe place to sober up, open around the clock.",
    organization="County Behavioral Health",
    type_codes=("sobering-center",),
    type_names=("Sobering center",),
    places=("Albuquerque", "87102"),
)
MOBILE = ServiceText(
    id="mobile",
    name="Mobile Crisis Team",
    description="Clinicians respond to calls; they can drive someone to a sobering unit.",
    organization="Acme Crisis Services",
    type_codes=("mobile-crisis",),
    type_names=("Mobile crisis team",),
)
DETOX = ServiceText(
    id="detox",
    name="Withdrawal Management Unit",
    alternate_name="Detox",
    description="Medically supervised withdrawal.",
    organization="Acme Crisis Services",
    type_codes=("withdrawal-management",),
    terms=("Accepts law enforcement drop-off",),
)


def ids(page) -> list[str]:
    return [hit.id for hit in page.hits]


@pytest.fixture
def index() -> SearchIndex:
    index = SearchIndex.in_memory()
    index.add_or_update(service_document(s) for s in (SOBERING, MOBILE, DETOX))
    return index


# Analysis -------------------------------------------------------------------------------------

# What whoosh's own field makes of a text: IndexedText must index exactly this.
WHOOSH_TEXT = TEXT(analyzer=make_analyzer(), phrase=False)


def postings(field, value: str) -> list[tuple[bytes, int, float, bytes]]:
    return sorted(field.index(value))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "The Sobering Center and the sobering centers of the county",
        "Crème brûlée CAFÉ, naïve coöperation; Ångström São Paulo",
        "U.S. 87102-1234 a I x 24/7 o'clock don't e.g. 3.5 km",
        "İstanbul ǅungla ß straße ŉ Ｆｕｌｌ-width ١٢٣ 中文 snake_case",
        "withdrawal withdrawals WITHDRAWAL responding responds responded",
        "crisis-receiving\nCrisis receiving center\n\tmobile-crisis",
    ],
)
def test_indexed_text_gives_the_postings_of_whoosh_text(value):
    assert postings(IndexedText(), value) == postings(WHOOSH_TEXT, value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_indexed_text_gives_the_postings_of_whoosh_text_for_any_text(value):
    assert postings(IndexedText(), value) == postings(WHOOSH_TEXT, value)


def test_every_text_field_is_indexed_text_without_positions():
    for name in TEXT_FIELDS:
        assert type(SCHEMA[name]) is IndexedText
        assert type(SCHEMA[name].format) is type(WHOOSH_TEXT.format)


def test_query_words_are_stemmed_without_stop_words_or_repeats():
    words = query_words("The Sobering-centers, centre CENTER 988!")
    assert [(w.word, w.stem) for w in words] == [
        ("sobering", "sober"),
        ("centers", "center"),
        ("centre", "centr"),
        ("988", "988"),
    ]


def test_stemming_matches_other_forms_of_a_word(index):
    assert ids(index.search("centers")) == ["sobering"]
    assert ids(index.search("responding clinician")) == ["mobile"]
    assert ids(index.search("supervision")) == ["detox"]


def test_accents_and_case_are_ignored(index):
    assert ids(index.search("MÓBILE")) == ["mobile"]


def test_query_syntax_characters_are_only_separators(index):
    assert ids(index.search('mobile AND (crisis* OR "x":')) == ["mobile"]


def test_only_stop_words_find_nothing(index):
    page = index.search("the and of")
    assert page.hits == [] and page.match == MATCH_NONE


# Typo tolerance -------------------------------------------------------------------------------


def test_one_typo_in_a_word_of_four_letters_or_more_still_matches(index):
    assert ids(index.search("sobring"))[0] == "sobering"
    assert ids(index.search("detx")) == ["detox"]
    assert "mobile" in ids(index.search("crisus team"))


def test_two_typos_are_tolerated_in_long_words_only(index):
    assert ids(index.search("wihtdrawal")) == ["detox"]  # 10 letters: two edits
    assert ids(index.search("tem")) == []  # 3 letters: exact only ("team" is one edit away)


def test_exact_spelling_ranks_above_a_typo_match():
    index = SearchIndex.in_memory()
    index.add_or_update(
        [
            service_document(ServiceText(id="typo", name="Crises line")),
            service_document(ServiceText(id="exact", name="Crisis line")),
        ]
    )
    assert ids(index.search("crisis")) == ["exact", "typo"]


# Weights --------------------------------------------------------------------------------------


def test_a_word_in_the_name_outranks_the_same_word_in_the_description(index):
    page = index.search("sobering")
    assert ids(page) == ["sobering", "mobile"]
    assert page.hits[0].score == 1.0
    assert 0 < page.hits[1].score < 1.0


def test_alternate_name_type_names_organization_terms_and_places_are_searched(index):
    assert ids(index.search("detox")) == ["detox"]
    assert ids(index.search("mobile crisis team")) == ["mobile"]
    assert set(ids(index.search("acme"))) == {"mobile", "detox"}
    assert ids(index.search("drop-off")) == ["detox"]
    assert ids(index.search("albuquerque")) == ["sobering"]
    assert ids(index.search("87102")) == ["sobering"]


def test_type_codes_are_searchable_as_words(index):
    assert ids(index.search("withdrawal-management")) == ["detox"]


# AND, then OR ---------------------------------------------------------------------------------


def test_every_word_must_match_when_some_service_has_them_all(index):
    page = index.search("acme detox")
    assert ids(page) == ["detox"] and page.match == MATCH_ALL


def test_any_word_may_match_when_no_service_has_them_all(index):
    page = index.search("detox zebra")
    assert ids(page) == ["detox"] and page.match == MATCH_ANY


# Filters --------------------------------------------------------------------------------------


def test_types_keep_services_with_any_of_the_given_types(index):
    assert ids(index.search("sobering", types=["mobile-crisis"])) == ["mobile"]
    both = index.search("sobering", types=["mobile-crisis", "sobering-center"])
    assert ids(both) == ["sobering", "mobile"]
    assert ids(index.search("sobering", types=["withdrawal-management"])) == []


def test_keep_drops_hits_before_paging_and_counting(index):
    page = index.search("acme", keep=lambda found: [i for i in found if i != "detox"])
    assert ids(page) == ["mobile"] and page.total == 1
    assert page.hits[0].score == 1.0


def test_blank_query_lists_every_service_by_name_and_never_the_state_document(index):
    with index.writing() as update:
        update.set_state({"last_seq": 3})
    page = index.search("  ")
    assert [hit.name for hit in page.hits] == [
        "Eastside Sobering Center",
        "Mobile Crisis Team",
        "Withdrawal Management Unit",
    ]
    assert page.match == MATCH_EVERY and page.total == 3
    assert index.doc_count() == 3


# Paging ---------------------------------------------------------------------------------------


def test_pages_are_stable_complete_and_an_empty_page_past_the_end():
    index = SearchIndex.in_memory()
    index.add_or_update(
        service_document(ServiceText(id=f"s{n:02}", name=f"Crisis line {n:02}")) for n in range(25)
    )
    pages = [index.search("crisis", page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    assert all(p.total == 25 and p.total_pages == 3 for p in pages)
    seen = [hit.id for p in pages for hit in p.hits]
    assert sorted(seen) == [f"s{n:02}" for n in range(25)]  # no repeats, none missing
    with pytest.raises(ValueError):
        index.search("crisis", page=0)


# Updates and deletes --------------------------------------------------------------------------


def test_update_replaces_the_document_with_the_same_id(index):
    renamed = ServiceText(id="mobile", name="Rapid Response Unit")
    index.add_or_update([service_document(renamed)])
    assert ids(index.search("rapid")) == ["mobile"]
    assert ids(index.search("clinicians")) == []
    assert index.doc_count() == 3


def test_delete_removes_services_from_every_answer(index):
    index.delete(["sobering", "not-there"])
    assert ids(index.search("sobering")) == ["mobile"]
    assert "sobering" not in ids(index.search(""))
    assert index.doc_count() == 2


def test_state_is_written_with_the_documents_and_read_back(index):
    assert index.read_state() is None
    with index.writing() as update:
        update.update([service_document(ServiceText(id="new", name="New line"))])
        update.set_state({"last_seq": 7})
    assert index.read_state()["last_seq"] == 7
    with index.writing() as update:
        assert update.state["last_seq"] == 7


def test_a_failed_update_commits_nothing(index):
    with pytest.raises(RuntimeError), index.writing() as update:
        update.delete(["sobering"])
        raise RuntimeError("boom")
    assert "sobering" in ids(index.search("sobering"))


def test_clear_replaces_everything_in_one_commit(index):
    with index.writing() as update:
        update.clear()
        update.update([service_document(ServiceText(id="only", name="Only line"))])
    assert ids(index.search("")) == ["only"]


def test_a_second_writer_gives_up_after_its_timeout():
    index = SearchIndex.in_memory()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with index.writing():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(5)
        with pytest.raises(IndexBusyError):
            index.add_or_update([service_document(MOBILE)], timeout=0.05)
        assert index.search("mobile").hits == []  # reading still works meanwhile
    finally:
        release.set()
        thread.join()
    index.add_or_update([service_document(MOBILE)], timeout=0.05)
    assert ids(index.search("mobile")) == ["mobile"]


# On disk --------------------------------------------------------------------------------------


def test_two_instances_over_one_folder_see_each_others_commits(tmp_path):
    first = SearchIndex.in_folder(tmp_path / "ix")
    second = SearchIndex.in_folder(tmp_path / "ix")
    first.add_or_update([service_document(SOBERING)])
    assert ids(second.search("sobering")) == ["sobering"]
    second.delete(["sobering"])
    assert first.search("sobering").hits == []


def test_a_damaged_folder_is_replaced_by_an_empty_index_with_a_warning(tmp_path, caplog):
    folder = tmp_path / "ix"
    writer = SearchIndex.in_folder(folder)
    writer.add_or_update([service_document(SOBERING)])
    with writer.writing() as update:
        update.set_state({"last_seq": 1})
    for path in folder.iterdir():
        path.write_bytes(b"\x00garbage")
    caplog.set_level(logging.WARNING)
    reopened = SearchIndex.in_folder(folder)
    assert reopened.read_state() is None  # empty: the caller rebuilds it
    assert reopened.search("sobering").hits == []
    assert "could not be opened" in caplog.text


# Catch-up planning (pure part of search.sync) -------------------------------------------------


def change(seq: int, service_id: str = "a") -> Change:
    return Change(seq, service_id, None)


def test_plan_applies_changes_after_the_last_seq_once_per_service():
    state = SyncState(last_seq=2, last_fingerprint=change(2).fingerprint)
    plan = plan_catch_up(state, [change(2), change(3, "b"), change(4, "c"), change(5, "b")], 0)
    assert plan.service_ids == ("b", "c")
    assert plan.state.last_seq == 5 and plan.state.gaps == {}
    assert plan.state.last_fingerprint == change(5, "b").fingerprint


def test_plan_does_nothing_when_nothing_changed():
    state = SyncState(last_seq=2, last_fingerprint=change(2).fingerprint)
    plan = plan_catch_up(state, [change(2)], 0)
    assert not plan.changed and not plan.rebuild


def test_plan_remembers_missing_seqs_and_applies_them_when_they_commit():
    state = SyncState(last_seq=2, last_fingerprint=change(2).fingerprint)
    plan = plan_catch_up(state, [change(2), change(4, "d")], now=100)
    assert plan.state.last_seq == 4 and plan.state.gaps == {3: 100}
    late = plan_catch_up(plan.state, [change(3, "c"), change(4, "d")], now=150)
    assert late.service_ids == ("c",)
    assert late.state.gaps == {} and late.state.last_seq == 4


def test_plan_gives_up_on_gaps_after_their_time_to_live():
    state = SyncState(last_seq=4, last_fingerprint=change(4).fingerprint, gaps={3: 0.0})
    plan = plan_catch_up(state, [change(4)], now=GAP_TTL_SECONDS + 1)
    assert plan.changed and plan.service_ids == () and plan.state.gaps == {}


def test_plan_rebuilds_when_the_last_applied_change_is_gone_or_different():
    state = SyncState(last_seq=9, last_fingerprint=change(9, "x").fingerprint)
    assert plan_catch_up(state, [], 0).rebuild  # database restored from an older backup
    assert plan_catch_up(state, [change(9, "other")], 0).rebuild  # another history


def test_plan_rebuilds_for_a_bulk_change_marker():
    assert plan_catch_up(SyncState(), [change(1, ALL_SERVICES)], 0).rebuild


def test_state_after_rebuild_waits_for_numbers_not_yet_committed():
    state = state_after_rebuild(change(10, "z"), recent_seqs=[1, 2, 3, 4, 5, 6, 8, 9], now=5)
    assert state.last_seq == 10 and set(state.gaps) == {7}
    assert state_after_rebuild(None, [], 0) == SyncState()
    assert SyncState.from_json(state.to_json()) == state

"""One base for refused input (``pmhc_directory.errors``): the JSON error shape of spec/api.md."""

from __future__ import annotations

import pytest

from pmhc_directory import errors
from pmhc_directory.hsds.readers import UnknownFormatError, format_named
from pmhc_directory.services import capacity, hsds_feed, outcomes, provider_updates, search
from pmhc_directory.services.imports import ImportFailed, ImportIssue


@pytest.mark.parametrize(
    "cls",
    [
        capacity.CapacityInputError,
        search.SearchInputError,
        provider_updates.ProviderInputError,
        outcomes.OutcomeInputError,
        hsds_feed.FeedInputError,
    ],
)
def test_each_use_case_error_gives_the_shared_body(cls):
    exc = cls("per_page", "per_page must be at most 100.")
    assert isinstance(exc, errors.InputError)
    assert isinstance(exc, ValueError)  # callers that catch ValueError still do
    assert exc.status == 422
    assert exc.body() == {
        "error": {
            "code": "invalid",
            "message": "per_page must be at most 100.",
            "field": "per_page",
        }
    }


def test_feed_error_keeps_its_code_and_answers_an_unknown_parameter_with_400():
    unknown = hsds_feed.FeedInputError(
        "colour", "colour is not a parameter.", "unsupported-parameter"
    )
    assert (unknown.status, unknown.body()["error"]["code"]) == (400, "unsupported-parameter")
    assert hsds_feed.FeedInputError("page", "page must be 1 or more.").status == 422


def test_outcome_error_text_names_its_field():
    assert (
        str(outcomes.OutcomeInputError("disposition", "is required")) == "disposition: is required"
    )


def test_search_unavailable_is_one_class():
    assert search.SearchUnavailableError is hsds_feed.SearchUnavailableError
    assert search.SearchUnavailableError is errors.SearchUnavailableError


def test_import_errors_are_input_errors():
    with pytest.raises(UnknownFormatError) as caught:
        format_named("xml")
    assert caught.value.field == "format"
    one = ImportFailed([ImportIssue(None, 0, "service.name", "is required")])
    assert (one.field, one.code, str(one)) == (
        "service.name",
        "import-refused",
        "1 error(s); first: record 1: service.name: is required",
    )
    two = ImportFailed([ImportIssue(None, i, "service.name", "is required") for i in range(2)])
    assert two.field is None

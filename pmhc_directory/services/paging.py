"""Page arithmetic shared by every paged listing."""

from __future__ import annotations

import math
from typing import Any


class PagedResult:
    """Mixin for a page of results; the class provides ``rows``, ``total``, ``page_size`` and
    ``filters.page`` (1-based)."""

    rows: list[Any]
    total: int
    page_size: int
    filters: Any

    @property
    def page(self) -> int:
        return self.filters.page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first row on this page (0 when the page is empty)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.page_size + len(self.rows) if self.rows else 0

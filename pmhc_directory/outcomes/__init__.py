"""Outcomes core (spec/product.md 3.4): privacy helpers and pure metrics over encounter records.

``privacy`` turns an agency identifier into a keyed token and suppresses small cells;
``metrics`` computes the PMHC outcome counts from plain records. Neither touches the database:
``services.outcomes`` reads and writes the encounter store and applies both.
"""

"""Span arithmetic: the set operations availability is made of."""

from __future__ import annotations

import pytest

from bridge.core.spans import Span, clip, intersect, subtract, total, union


@pytest.mark.parametrize(("spans", "expected"), [
    ([], []),
    ([(5, 7), (1, 3)], [(1, 3), (5, 7)]),
    ([(1, 3), (3, 5)], [(1, 5)]),  # touching spans join
    ([(1, 10), (2, 3)], [(1, 10)]),  # contained
    ([(1, 4), (2, 6), (8, 9)], [(1, 6), (8, 9)]),
    ([(4, 4), (5, 3)], []),  # empty and reversed spans are dropped
])
def test_union(spans: list[Span], expected: list[Span]) -> None:
    assert union(spans) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([(0, 10)], [(2, 3), (5, 7)], [(2, 3), (5, 7)]),
    ([(0, 4), (6, 10)], [(3, 7)], [(3, 4), (6, 7)]),
    ([(0, 4)], [(4, 8)], []),  # half-open: touching is not overlapping
    ([], [(0, 1)], []),
])
def test_intersect(a: list[Span], b: list[Span], expected: list[Span]) -> None:
    assert intersect(a, b) == expected
    assert intersect(b, a) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([(0, 10)], [(2, 3), (5, 7)], [(0, 2), (3, 5), (7, 10)]),
    ([(0, 10)], [(-5, 15)], []),
    ([(0, 4), (6, 10)], [(3, 7)], [(0, 3), (7, 10)]),
    ([(0, 4), (6, 10)], [], [(0, 4), (6, 10)]),
    ([(0, 2), (4, 6), (8, 10)], [(1, 9)], [(0, 1), (9, 10)]),  # one hole spans several
    ([(5, 6)], [(0, 1), (2, 3)], [(5, 6)]),  # holes before
])
def test_subtract(a: list[Span], b: list[Span], expected: list[Span]) -> None:
    assert subtract(a, b) == expected


def test_clip_and_total() -> None:
    assert clip([(0, 5), (8, 20)], 3, 10) == [(3, 5), (8, 10)]
    assert clip([(0, 5)], 6, 6) == []
    assert total([(0, 5), (8, 10)]) == 7

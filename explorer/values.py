"""The one runtime value representation, and its formatting.

Values are plain, hashable, immutable Python objects:
  bool, int, None (the value `none`), Atom (a model value or enum constant),
  frozenset (a finite set), tuple (a bounded sequence), Fn (a total function),
  Rec (a record).
Engines may use a more compact encoding internally, but everything they hand to reports
(traces, messages) is made of these. Imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

Value: TypeAlias = Any  # bool | int | None | Atom | frozenset | tuple | Fn | Rec
SortKey: TypeAlias = tuple["int | str | SortKey", ...]
Json: TypeAlias = "None | bool | int | str | list[Json] | dict[str, Json]"


class Atom:
    """A model value of a `set` or a constant of an `enum`; ordered by declaration."""

    __slots__ = ("sort", "index", "name")

    def __init__(self, sort: str, index: int, name: str) -> None:
        self.sort = sort
        self.index = index
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Atom) and other.sort == self.sort and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.sort, self.index))

    def __repr__(self) -> str:
        return self.name


class Fn:
    """A total function over a finite domain, immutable; items kept in key order."""

    __slots__ = ("_d", "_h")

    def __init__(self, items: Iterable[tuple[Value, Value]]) -> None:
        self._d = dict(sorted(items, key=lambda kv: sort_key(kv[0])))
        self._h: int | None = None

    def __getitem__(self, key: Value) -> Value:
        return self._d[key]

    def __contains__(self, key: Value) -> bool:
        return key in self._d

    def keys(self) -> list[Value]:
        return list(self._d)

    def items(self) -> list[tuple[Value, Value]]:
        return list(self._d.items())

    def set(self, key: Value, value: Value) -> Fn:
        d = dict(self._d)
        d[key] = value
        return Fn(d.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fn) and other._d == self._d

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(("Fn", tuple(self._d.items())))
        return self._h

    def __repr__(self) -> str:
        return format_value(self)


class Rec:
    """A record: named fields, kept in field-name order."""

    __slots__ = ("_d",)

    def __init__(self, fields: Iterable[tuple[str, Value]]) -> None:
        self._d = dict(sorted(fields))

    def __getitem__(self, name: str) -> Value:
        return self._d[name]

    def items(self) -> list[tuple[str, Value]]:
        return list(self._d.items())

    def set(self, name: str, value: Value) -> Rec:
        d = dict(self._d)
        d[name] = value
        return Rec(d.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rec) and other._d == self._d

    def __hash__(self) -> int:
        return hash(("Rec", tuple(self._d.items())))

    def __repr__(self) -> str:
        return format_value(self)


def sort_key(v: Value) -> SortKey:
    """A total order over values of one type (and a stable one across types)."""
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, int):
        return (2, v)
    if isinstance(v, Atom):
        return (3, v.sort, v.index)
    if isinstance(v, frozenset):
        return (4, tuple(sorted(sort_key(x) for x in v)))
    if isinstance(v, tuple):
        return (5, tuple(sort_key(x) for x in v))
    if isinstance(v, Fn):
        return (6, tuple((sort_key(k), sort_key(x)) for k, x in v.items()))
    if isinstance(v, Rec):
        return (7, tuple((k, sort_key(x)) for k, x in v.items()))
    raise TypeError(f"not a spec value: {v!r}")


def sorted_values(vs: Iterable[Value]) -> list[Value]:
    return sorted(vs, key=sort_key)


def iter_set(s: frozenset[Value]) -> Iterator[Value]:
    """Iterate a set in canonical order (never in hash order)."""
    return iter(sorted_values(s))


def format_value(v: Value) -> str:
    """Spec-like text: true, 3, none, m1, {a, b}, [1, 2], {m1: 0, m2: 1}, {count: 1}."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Atom):
        return v.name
    if isinstance(v, frozenset):
        return "{" + ", ".join(format_value(x) for x in sorted_values(v)) + "}"
    if isinstance(v, tuple):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, Fn | Rec):
        return "{" + ", ".join(f"{format_value(k) if isinstance(v, Fn) else k}: {format_value(x)}"
                               for k, x in v.items()) + "}"
    raise TypeError(f"not a spec value: {v!r}")


def to_json(v: Value) -> Json:
    """Plain JSON data: sets as sorted lists, functions as lists of [key, value] pairs."""
    if v is None or isinstance(v, bool | int):
        return v
    if isinstance(v, Atom):
        return v.name
    if isinstance(v, frozenset):
        return [to_json(x) for x in sorted_values(v)]
    if isinstance(v, tuple):
        return [to_json(x) for x in v]
    if isinstance(v, Fn):
        return [[to_json(k), to_json(x)] for k, x in v.items()]
    if isinstance(v, Rec):
        return {k: to_json(x) for k, x in v.items()}
    raise TypeError(f"not a spec value: {v!r}")

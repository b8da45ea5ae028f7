"""The two namespaces of every engine: names that stand for a spec's own names, and the
engine's internal symbols. This module is the only place either kind is made.

A spec name is an identifier of the language (letters, digits and `_`, not starting with a
digit; the front end's renamings, `x__OWNER__3`, stay identifiers). Engines build names
from spec names for their own artefacts: z3 constants, generated Python, later generated C.
Without a wall between the two kinds, a spec that happens to name a variable like an
internal symbol is silently confused with it: `var sel` once merged with the z3 branch
selector `sel@k` and turned a 1-step violation into a false `proved`.

The wall, per target:
- z3: no spec text at all. A variable's constants are named by its position (`v3@k`, and
  below it by positions in its type), a set's sort and atoms by their numbers (`S0!2`,
  `S0.1!2`); internal symbols (the branch selector) begin with `%`. So a spec's names
  cannot meet the encoding's, and renaming a spec leaves z3's input unchanged.
- generated Python: a spec name appears only behind `l_` (bound names, locals) or `C_`
  (consts); every internal identifier (`s`, `w`, `_t1`, `a0`, `succ`, runtime helpers)
  begins with neither, which `is_internal_py` states and the tests check on every spec.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPEC_PY_PREFIXES = ("l_", "C_")


def spec_name(name: str) -> str:
    """`name`, checked to be an identifier of the language: the only spec text that may
    enter generated code or a solver's symbol table."""
    if not _IDENT.match(name):
        raise ValueError(f"not an identifier of the language: {name!r}")
    return name


# -- z3 ------------------------------------------------------------------------------------

def z3_var(index: int, tag: str) -> str:
    """The root name of the z3 constants of the variable at `index` in state copy `tag`."""
    return f"v{index}@{tag}"


def z3_sort(number: int, serial: int) -> str:
    """The z3 sort of the `number`th set or enum an encoder declares (`serial`: the
    encoder's, so two configurations in one process never share a sort)."""
    return f"S{number}!{serial}"


def z3_atom(number: int, index: int, serial: int) -> str:
    """The z3 constant of atom `index` of that sort."""
    return f"S{number}.{index}!{serial}"


def z3_internal(name: str) -> str:
    """An internal z3 symbol (branch selectors, ...): outside every name above."""
    return f"%{name}"


# -- generated Python ----------------------------------------------------------------------

def py_local(name: str) -> str:
    """The Python identifier of a bound name, parameter or local of the spec."""
    return f"l_{spec_name(name)}"


def py_const(name: str) -> str:
    """The Python identifier of a spec const."""
    return f"C_{spec_name(name)}"


def is_internal_py(identifier: str) -> bool:
    """Whether a generated-code identifier is free to be internal: it must not begin with
    a prefix that spec names get."""
    return not identifier.startswith(_SPEC_PY_PREFIXES)

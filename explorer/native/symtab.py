"""The compiled engine's symmetry tables: the cells a permutation of the symmetric sets
moves or changes (explorer.explicit.canon's leaves), as C arrays of numbers for
search.c's canonical form. Nothing here comes from spec text: only offsets, widths,
counts and class numbers.

Unsupported (the check runs in Python) for what search.c's tables do not express: a
function whose domain holds the atoms other than as exactly one set (an optional atom, a
record of atoms), a cell wider than 64 bits, a set of more than 64 atoms."""

from __future__ import annotations

from collections.abc import Sequence

from explorer import model as M
from explorer.engine import Unsupported
from explorer.explicit.canon import Canon
from explorer.explicit.layout import Layout

MAX_ATOMS = 64


def tables(model: M.Model, layout: Layout, sets: Sequence[M.AtomT], words: int) -> list[str]:
    """The C lines that define SYM and, with sets to reduce by, its tables."""
    if not sets:
        return ["#define SYM 0"]
    if any(len(t.atoms) > MAX_ATOMS for t in sets):
        raise Unsupported(f"symmetry over a set of more than {MAX_ATOMS} atoms")
    canon = Canon(model, layout, sets)
    leaves: list[str] = []
    steps: list[str] = []
    guards: list[str] = []
    for x in canon.moving:
        if any(not isinstance(st.dom_t, M.AtomT) for st in x.steps):
            raise Unsupported("symmetry with a function whose domain holds atoms of a "
                              "symmetric set inside another type")
        if x.width > 64 or any(((1 << 64) - 1) < m for _, m, _ in x.guards):
            raise Unsupported("symmetry with a value wider than 64 bits")
        leaves.append(f"{{{x.off}, {x.base}, {x.width}, {x.kind}, {x.vset}, {x.cls}, "
                      f"{len(steps)}, {len(x.steps)}, {len(guards)}, {len(x.guards)}}}")
        for st, (j, _) in zip(x.steps, x.coords):
            steps.append(f"{{{j}, {st.index}, {st.width}}}")
        for off, mask, k in x.guards:
            guards.append(f"{{{off}, {mask.bit_length()}, {k}}}")
    still = canon.still
    words_of_still = ", ".join(f"0x{(still >> (64 * k)) & ((1 << 64) - 1):x}ULL"
                               for k in range(words))
    sizes = ", ".join(str(len(t.atoms)) for t in sets)
    return [
        "#define SYM 1",
        f"#define SYM_SETS {len(sets)}",
        f"#define SYM_MAXN {max(len(t.atoms) for t in sets)}",
        f"#define SYM_LEAVES {len(leaves)}",
        f"static const int sym_n[SYM_SETS] = {{{sizes}}};",
        f"static const sym_leaf_t sym_leaf[{max(1, len(leaves))}] = {_init(leaves)};",
        f"static const sym_step_t sym_step[{max(1, len(steps))}] = {_init(steps)};",
        f"static const sym_guard_t sym_guard[{max(1, len(guards))}] = {_init(guards)};",
        f"static const uint64_t sym_still[W] = {{{words_of_still}}};",
    ]


def _init(items: list[str]) -> str:
    """A C array's initializer ({0}, the zero one, for none)."""
    return "{" + (", ".join(items) or "0") + "}"

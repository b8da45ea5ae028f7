"""Spec text never reaches the generated Python: names hostile to Python (keywords,
builtins, `.mnt` keywords in places where the keyword cannot appear) explore
like any other, and no atom name, message or doc text appears in the generated source.
Dunder names cannot be written at all: names containing `__` are reserved (E1007)."""

from __future__ import annotations

import re

from explorer.explicit.compile import compile_model
from explorer.explicit.run import check_model
from explorer.lang.load import load_text

HOSTILE = '''
/// __import__('os').system('echo pwned')
spec hostile
set lambda = {exec, eval_, _import_}
enum import = {def, class_, return_}
var yield_: lambda -> import
var class: set lambda
/// doc text: __import__('os')
def proc(x in lambda) = x in class
init {
  yield_ = {x: def for x in lambda}
  class = {}
}
/// doc text: __import__('os')
proc print(x in lambda) { class := class union {x} }
/// doc text: __import__('os')
action def_(x in lambda, for_ in import) when yield_[x] != for_ {
  yield_[x] := for_
  print(x)
  assert reach: len(class) < 3 "__import__('os').system('rm -rf /')"
}
invariant None_: forall x in lambda: proc(x) or yield_[x] == def
'''


def test_hostile_names_explore_normally() -> None:
    model = load_text(HOSTILE, "hostile.mnt").default
    r = check_model(model, progress=None)
    # three atoms each move to another import value; the third distinct atom fails the assert
    assert r.outcome.kind == "assertion"
    assert r.outcome.message == "__import__('os').system('rm -rf /')"
    assert r.outcome.assertion == "reach"
    assert r.trace is not None and len(r.trace) == 3


def test_generated_source_holds_no_spec_text() -> None:
    cm = compile_model(load_text(HOSTILE, "hostile.mnt").default)
    cm.actions  # generate the per-action functions too  # noqa: B018
    src = cm.source
    assert "__import__" not in src and "system" not in src and "pwned" not in src
    assert "echo" not in src and "rm -rf" not in src
    # every identifier that came from the spec sits behind a fixed prefix (comments name
    # actions, which are validated identifiers; code never uses a spec name bare)
    code = re.sub(r"#.*", "", src)
    for name in ("exec", "eval_", "_import_", "class_", "return_", "yield_", "for_", "x", "def_",
                 "None_", "class", "proc", "print", "reach"):
        assert not re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", code), name

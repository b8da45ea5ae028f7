"""Spec text never reaches the generated Python: names hostile to Python (keywords,
builtins, dunder names) explore like any other, and no atom name, message or doc text
appears in the generated source."""

from __future__ import annotations

import re

from explorer.explicit.compile import compile_model
from explorer.explicit.run import check_model
from explorer.lang.load import load_text

HOSTILE = '''
/// __import__('os').system('echo pwned')
spec hostile
set lambda = {exec, eval_, __import__}
enum import = {def, class_, return_}
var yield_: lambda -> import
var __class__: set lambda
init {
  yield_ = {x: def for x in lambda}
  __class__ = {}
}
/// doc text: __import__('os')
action def_(x in lambda, for_ in import) when yield_[x] != for_ {
  yield_[x] := for_
  __class__ := __class__ union {x}
  assert len(__class__) < 3 "__import__('os').system('rm -rf /')"
}
invariant None_: forall x in lambda: x in __class__ or yield_[x] == def
'''


def test_hostile_names_explore_normally() -> None:
    model = load_text(HOSTILE, "hostile.mnt").default
    r = check_model(model, progress=None)
    # three atoms each move to another import value; the third distinct atom fails the assert
    assert r.outcome.kind == "assertion"
    assert r.outcome.message == "__import__('os').system('rm -rf /')"
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
    for name in ("exec", "eval_", "class_", "return_", "yield_", "for_", "x", "def_", "None_"):
        assert not re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", code), name

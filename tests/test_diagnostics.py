"""Front-end diagnostics: every static error has a code and an exact line:col, the renderer
puts the caret under that column, and the CLI maps spec and usage errors to exit codes.

Assertions are on the code and the location, never on the wording.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.diagnostics import Diagnostic, SpecError, render
from explorer.lang.load import MAX_BYTES, load_spec, load_text
from explorer.model import Span
from explorer.textsafe import escape, escape_columns


def spec(*lines: str) -> str:
    """A spec of these lines; its `spec` declaration (that every file needs) comes last,
    so that the lines keep the positions the cases give."""
    named = any(ln.startswith("spec ") for ln in lines)
    return "\n".join(lines) + "\n" + ("" if named else "spec t\n")


def diags(text: str) -> list[Diagnostic]:
    with pytest.raises(SpecError) as info:
        load_text(text, "t.mnt")
    assert info.value.diagnostics, "a SpecError must carry at least one diagnostic"
    return info.value.diagnostics


def where(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in diags(text)]


PROOF = ("var x: bool", "init { x = true }", "invariant i: x", "invariant helper h: x")

# ---------------------------------------------------------------------------------------
# One case per diagnostic: (spec lines, [(code, line, col), ...]) in the order reported.

CASES: dict[str, tuple[tuple[str, ...], list[tuple[str, int, int]]]] = {
    # ---- E0001 syntax
    "e0001_missing_expression_after_assign": (
        ("var x: bool", "init { x = true }", "action a { x := }"), [("E0001", 3, 17)]),
    "e0001_unexpected_token": (("var x bool",), [("E0001", 1, 7)]),
    # an open expression (quantifier, if-then-else) as an operand: the error is at the keyword
    "e0001_quantifier_as_operand_of_eq": (
        ("set S = {a}", "var x: bool", "init { x = true }", "invariant i: x == forall s in S: x"),
        [("E0001", 4, 19)]),
    "e0001_if_as_operand_of_plus": (
        ("var x: 0..3", "init { x = 0 }", "action go { x := 1 + if x == 0 then 1 else 0 }"),
        [("E0001", 3, 22)]),
    "e0001_exists_as_operand_of_in": (
        ("set S = {a}", "var x: bool", "init { x = true }",
         "invariant i: x in exists s in S: x"), [("E0001", 4, 19)]),
    "e0001_unexpected_close_paren": (
        ("var x: bool", "init { x = true }", "action a { x := ) }"), [("E0001", 3, 17)]),
    "e0001_unexpected_end_of_file": (("spec t", "var x: bool", "init { x = true"),
                                     [("E0001", 3, 16)]),
    "e0001_unexpected_character": (("var x: bool", "init { x = true } @"), [("E0001", 2, 19)]),
    "e0001_unexpected_control_character": (("var x: bool", "init { x = true }\x01"),
                                           [("E0001", 2, 18)]),
    "e0001_assign_in_init": (("var x: bool", "init { x := true }"), [("E0001", 2, 10)]),
    "e0001_unknown_expectation": (("var x: bool", "init { x = true }", "check c: expect nothing"),
                                  [("E0001", 3, 17)]),
    # `{1: true}` is a function literal (keys that are values), not a record
    "e2001_function_literal_for_a_record": (("var r: {a: bool}", "init { r = {1: true} }"),
                                            [("E2001", 2, 12)]),
    "e2003_function_literal_misses_a_key": (("set P = {p1, p2}", "var f: P -> bool",
                                             "init { f = {p1: true} }"), [("E2003", 3, 12)]),
    "e2005_function_literal_key_not_constant": (
        ("var x: 0..1", "var f: 0..1 -> 0..1", "init { x = 0  f = {x: 0, 1: 1} }"),
        [("E2005", 3, 20)]),
    "e2005_unbounded_exponent": (("var x: 0..3", "init { x = 0 }",
                                  "action a { x := 2 ** (x * 30) }"), [("E2005", 3, 23)]),
    "e2001_concatenate_unlike": (("var q: seq[2] 0..3", "var b: seq[2] bool",
                                  "init { q = []  b = [] }", "action a { q := q + b }"),
                                 [("E2001", 4, 17)]),
    "e2001_any_from_a_sequence": (("var q: seq[2] 0..3", "init { q = [] }",
                                   "action a { any x in q { q := [x] } }"), [("E2001", 3, 21)]),
    "e0001_fncomp_key_not_the_binder": (
        ("set P = {p1}", "var f: P -> bool", "init { f = {q: true for p in P} }"),
        [("E0001", 3, 13)]),
    "e0001_filter_head": (("var s: set 0..3", "init { s = {1 where true} }"), [("E0001", 2, 13)]),
    "e0001_double_option": (("var x: bool??", "init { x = none }"), [("E0001", 1, 13)]),
    "e0001_render_needs_braces": (("var x: bool", "init { x = true }", "render foo"),
                                  [("E0001", 3, 8)]),
    # ---- render sections
    "e1008_style": (("set M = {a, b}", "var p: M -> M?", "init { p = {m: none for m in M} }",
                     "render {", "  node m in M { style sparkly when true }", "}"),
                    [("E1008", 5, 23)]),
    "e2001_edge_to_undrawn": (("set M = {a, b}", "set F = {f1}", "var fm: F -> M?",
                               "init { fm = {f: none for f in F} }", "render {",
                               "  node m in M { label m }", "  edge f in F -> fm[f]", "}"),
                              [("E2001", 7, 13)]),
    "e2001_node_not_atom": (("var n: 0..2", "init { n = 0 }", "render {",
                             "  node b in bool { label b }", "}"), [("E2001", 4, 13)]),
    "e1002_two_renders": (("set M = {a}", "var b: bool", "init { b = true }",
                           "render { node m in M { label m } }", "render { }"),
                          [("E1002", 5, 1)]),
    "e0001_fair_needs_an_action": (("fair foo",), [("E0001", 1, 6)]),
    "e0001_property_says_when": (("var x: bool", "init { x = true }", "property p: x",
                                  "action a { x := false }"), [("E0001", 4, 1)]),
    "e1002_property_named_like_an_invariant": (
        ("var x: bool", "init { x = true }", "invariant p: x", "property p: always x"),
        [("E1002", 4, 10)]),
    "e2001_property_not_bool": (("var x: 0..2", "init { x = 0 }", "property p: eventually x"),
                                [("E2001", 3, 24)]),
    # ---- E1001 unknown
    "e1001_name": (("var x: bool", "init { x = y }"), [("E1001", 2, 12)]),
    "e1001_type": (("var x: Foo", "init { x = true }"), [("E1001", 1, 8)]),
    "e1001_function": (("var x: bool", "init { x = foo(1) }"), [("E1001", 2, 12)]),
    "e1001_assigned_variable": (("var x: bool", "init { x = true }", "action a { y := true }"),
                                [("E1001", 3, 12)]),
    # ---- E1002 duplicates
    "e1002_two_vars": (("var x: bool", "var x: bool", "init { x = true }"), [("E1002", 2, 5)]),
    "e1002_atom_clash": (("set A = {a, b}", "set B = {b, c}"), [("E1002", 2, 10)]),
    "e1002_atom_vs_var": (("set A = {a, b}", "var a: bool", "init { a = true }"),
                          [("E1002", 2, 5)]),
    "e1002_generated_atom_clash": (("set A = {n2}", "set N = n[1..3]"), [("E1002", 2, 5)]),
    "e1002_two_checks": (
        ("var x: bool", "init { x = true }", "check c: expect holds", "check c: expect holds"),
        [("E1002", 4, 7)]),
    "e1002_two_actions": (
        ("var x: bool", "init { x = true }", "action a { x := true }", "action a { x := false }"),
        [("E1002", 4, 8)]),
    "e1002_builtin_name": (("var len: bool", "init { len = true }"), [("E1002", 1, 5)]),
    "e1002_two_specs": (("spec a", "spec b"), [("E1002", 2, 6)]),
    "e1002_two_inits": (("var x: bool", "init { x = true }", "init { x = false }"),
                        [("E1002", 3, 1)]),
    "e1002_initialized_twice": (("var x: bool", "init { x = true", "  x = false }"),
                                [("E1002", 3, 3)]),
    "e1002_two_terminals": (
        ("var x: bool", "init { x = true }", "terminal when x", "terminal when not x"),
        [("E1002", 4, 1)]),
    "e1002_record_type_field": (("var r: {a: bool, a: bool}", "init { r = {a: true} }"),
                                [("E1002", 1, 8)]),
    "e1002_record_literal_field": (("var r: {a: bool}", "init { r = {a: true, a: false} }"),
                                   [("E1002", 2, 12)]),
    "e1002_let_shadows_global": (("var x: bool", "init { x = true }", "action a { let x = true }"),
                                 [("E1002", 3, 12)]),
    "e1002_binder_shadows_global": (
        ("var x: bool", "init { x = true }", "action a(x in {true}) { require x }"),
        [("E1002", 3, 10)]),
    "e1002_param_set_twice_in_check": (
        ("param N: 0..3 = 1", "var x: bool", "init { x = true }",
         "check c with N = 1, N = 2: expect holds"),
        [("E1002", 4, 21)]),
    # ---- E1004 initialisation
    "e1004_no_initial_value": (("var x: bool", "var y: bool", "init { x = true }"),
                               [("E1004", 2, 5)]),
    "e1004_read_before_init": (("var x: bool", "var y: bool", "init { x = y", "  y = true }"),
                               [("E1004", 3, 12)]),
    # ---- E1005 / E1006 checks
    "e1005_unknown_param_in_with": (
        ("param N: 0..3 = 1", "var x: bool", "init { x = true }", "check c with M = 2: expect holds"),
        [("E1005", 4, 14)]),
    "e1006_unknown_invariant": (
        ("var x: bool", "init { x = true }", "invariant ok: x", "check c: expect violation nope"),
        [("E1006", 4, 27)]),
    # ---- E2001 types
    "e2001_atom_of_wrong_set": (
        ("set Proc = {p1, p2}", "set Other = {o1}", "var who: Proc", "init { who = p1 }",
         "action a { who := o1 }"),
        [("E2001", 5, 19)]),
    "e2001_enum_plus_one": (
        ("set Proc = {p1, p2}", "enum PC = {IDLE, BUSY}", "var pc: Proc -> PC", "var n: 0..3",
         "init { pc = {p: IDLE for p in Proc}", "  n = 0 }", "action a(p in Proc) { n := pc[p] + 1 }"),
        [("E2001", 7, 28)]),
    "e2001_if_branches_clash": (
        ("var x: 0..3", "var b: bool", "init { x = 0", "  b = true }",
         "action a { x := if b then 1 else true }"),
        [("E2001", 5, 17)]),
    "e2001_guard_not_bool": (("var x: 0..3", "init { x = 0 }", "action a when x { x := 1 }"),
                             [("E2001", 3, 15)]),
    "e2001_var_used_as_type": (("var x: bool", "var y: x", "init { x = true", "  y = true }"),
                               [("E2001", 2, 8)]),
    "e2001_init_in_needs_set": (("var x: 0..3", "init { x in 3 }"), [("E2001", 2, 13)]),
    "e2001_compare_int_bool": (("var x: 0..3", "init { x = 0 }", "invariant i: x == true"),
                               [("E2001", 3, 14)]),
    "e2001_index_a_bool": (("var x: bool", "init { x = true }", "invariant i: x[1]"),
                           [("E2001", 3, 14)]),
    "e2001_missing_field": (("var r: {a: bool}", "init { r = {a: true} }", "invariant i: r.b"),
                            [("E2001", 3, 14)]),
    "e2001_set_elements_differ": (("var s: set 0..3", "init { s = {1, true} }"),
                                  [("E2001", 2, 16)]),
    "e2001_none_as_value": (("var x: 0..3", "init { x = 0 }", "invariant i: none < 3"),
                            [("E2001", 3, 14)]),
    "e2001_len_of_bool": (("var x: 0..3", "init { x = len(true) }"), [("E2001", 2, 16)]),
    "e2001_let_none": (("var x: bool", "init { x = true }", "action a { let y = none }"),
                       [("E2001", 3, 20)]),
    "e2001_assign_missing_field": (
        ("var r: {a: bool}", "init { r = {a: true} }", "action a { r.b := true }"),
        [("E2001", 3, 12)]),
    "e2001_assign_index_of_bool": (("var x: bool", "init { x = true }", "action a { x[0] := true }"),
                                   [("E2001", 3, 12)]),
    # ---- E2002 values that cannot fit
    "e2002_init_out_of_range": (("var x: 0..3", "init { x = 5 }"), [("E2002", 2, 12)]),
    "e2002_assign_out_of_range": (("var x: 0..3", "init { x = 0 }", "action a { x := 5 }"),
                                  [("E2002", 3, 17)]),
    "e2002_param_default_out_of_range": (("param N: 0..3 = 7", "var x: bool", "init { x = true }"),
                                         [("E2002", 1, 17)]),
    "e2002_empty_range_type": (("var x: 3..1", "init { x = 3 }"), [("E2002", 1, 8)]),
    "e2002_sequence_bound": (("var s: seq[100] bool", "init { s = [] }"), [("E2002", 1, 12)]),
    "e2002_none_not_optional": (("var x: 0..3", "init { x = none }"), [("E2002", 2, 12)]),
    "e2002_too_many_atoms": (("set N = n[1..20000]",), [("E2002", 1, 5)]),
    # ---- E2003 constants
    "e2003_param_not_constant": (("var x: bool", "param N: 0..3 = len([1])", "init { x = true }"),
                                 [("E2003", 2, 17)]),
    "e2003_fncomp_domain_not_whole": (
        ("set P = {p1, p2}", "var f: P -> bool", "init { f = {x: true for x in {p1}} }"),
        [("E2003", 3, 30)]),
    # ---- E2004 built-ins
    "e2004_builtin_without_call": (("var x: 0..3", "init { x = len }"), [("E2004", 2, 12)]),
    "e2004_builtin_arity": (("var s: seq[2] bool", "init { s = [] }", "invariant i: len(s, s) == 0"),
                            [("E2004", 3, 14)]),
    # ---- E2005 unbounded / not finite
    "e2005_int_var": (("var x: int", "init { x = 0 }"), [("E2005", 1, 8)]),
    # sets hold records, sequences, sets, functions: within MAX_SET_ELEMS values, not options
    "e2005_set_of_too_many_values": (("var s: set seq[4] 0..9", "init { s = {} }"),
                                     [("E2005", 1, 12)]),
    "e2005_function_domain": (("var f: seq[4] 0..9 -> bool", "init { f = {} }"), [("E2005", 1, 8)]),
    "e2005_set_of_big_records": (("var x: bool", "init { x = {{a: k} for k in 0..2000} == {} }"),
                                 [("E2005", 2, 13)]),
    # ---- E2006 not assignable
    "e2006_assign_param": (("param N: 0..3 = 1", "var x: 0..3", "init { x = 0 }", "action a { N := 1 }"),
                           [("E2006", 4, 12)]),
    "e2006_assign_action_param": (("var x: 0..3", "init { x = 0 }", "action a(p in 0..3) { p := 1 }"),
                                  [("E2006", 3, 23)]),
    "e2006_assign_let": (("var x: 0..3", "init { x = 0 }", "action a { let y = 1", "  y := 2 }"),
                         [("E2006", 4, 3)]),
    "e2006_assign_atom": (("set P = {p1}", "var x: 0..3", "init { x = 0 }", "action a { p1 := 2 }"),
                          [("E2006", 4, 12)]),
    "e2006_init_a_param": (("param N: 0..3 = 1", "var x: 0..3", "init { N = 0", "  x = 0 }"),
                           [("E2006", 3, 8)]),
    # ---- E2007 variables in constants
    "e2007_var_in_const": (("var x: 0..3", "const K = x + 1", "init { x = 0 }"), [("E2007", 2, 11)]),
    "e2007_var_in_type_bound": (("var x: 0..3", "var y: 0..x", "init { x = 0", "  y = 0 }"),
                                [("E2007", 2, 11)]),
    # ---- defs and procs
    "e1007_reserved_name": (("var x__y: bool", "init { x__y = true }"), [("E1007", 1, 5)]),
    "e1007_reserved_binder": (("var x: bool", "init { x = forall a__b in bool: a__b }"),
                              [("E1007", 2, 19)]),
    "e1007_reserved_field": (("var r: {a__b: bool}", "init { r = {a__b: true} }"),
                             [("E1007", 1, 9)]),
    "e1007_def_name_starts_with_underscore": (("def _f = 1",), [("E1007", 1, 5)]),
    "e1001_def_used_before_its_declaration": (("def f = g", "def g = 1"), [("E1001", 1, 9)]),
    "e1001_const_uses_a_later_def": (("const K = f(1)", "def f(n in 0..3) = n"),
                                     [("E1001", 1, 11)]),
    "e1001_def_reads_a_later_variable": (("def f = x", "var x: bool", "init { x = true }"),
                                         [("E1001", 1, 9)]),
    "e1001_def_recursion": (("def f(n in 0..3) = if n == 0 then 0 else f(n - 1)",),
                            [("E1001", 1, 42)]),
    "e1001_unknown_def": (("var x: bool", "init { x = nope(1) }"), [("E1001", 2, 12)]),
    "e1001_unknown_proc": (("var x: bool", "init { x = true }", "action a { p(1) }"),
                           [("E1001", 3, 12)]),
    "e1001_proc_calls_a_later_proc": (
        ("var x: bool", "proc p { q() }", "proc q { x := true }", "init { x = true }"),
        [("E1001", 2, 10)]),
    "e1001_proc_recursion": (("var x: bool", "proc p { p() }", "init { x = true }"),
                             [("E1001", 2, 10)]),
    "e1002_def_clashes_with_a_var": (("var f: bool", "def f = 1", "init { f = true }"),
                                     [("E1002", 2, 5)]),
    "e1002_def_clashes_with_a_proc": (("def f = 1", "proc f { }"), [("E1002", 2, 6)]),
    "e1002_def_param_twice": (("def f(a in bool, a in bool) = a",), [("E1002", 1, 18)]),
    "e1002_def_param_named_like_a_var": (("var x: bool", "def f(x in bool) = x",
                                          "init { x = true }"), [("E1002", 2, 7)]),
    "e1002_proc_let_named_like_its_param": (
        ("var x: bool", "proc p(a in bool) { let a = true }", "init { x = true }"),
        [("E1002", 2, 21)]),
    "e2004_def_arity": (("var x: bool", "def f(a in bool) = a", "init { x = f(true, false) }"),
                        [("E2004", 3, 12)]),
    "e2004_def_with_params_used_bare": (("var x: bool", "def f(a in bool) = a", "init { x = f }"),
                                        [("E2004", 3, 12)]),
    "e2004_proc_arity": (("var x: bool", "proc p(a in bool) { x := a }", "init { x = true }",
                          "action a { p() }"), [("E2004", 4, 12)]),
    "e2004_proc_in_an_expression": (("var x: bool", "proc p { x := true }", "init { x = true }",
                                     "action a { x := p() }"), [("E2004", 4, 17)]),
    "e2004_proc_used_bare": (("var x: bool", "proc p { x := true }", "init { x = true }",
                              "action a { x := p }"), [("E2004", 4, 17)]),
    "e2004_def_as_a_statement": (("var x: bool", "def f = true", "init { x = true }",
                                  "action a { f() }"), [("E2004", 4, 12)]),
    "e2004_builtin_as_a_statement": (("var x: bool", "init { x = true }", "action a { len(1) }"),
                                     [("E2004", 3, 12)]),
    "e2001_def_argument_type": (("var x: bool", "def f(a in bool) = a", "init { x = f(1) }"),
                                [("E2001", 3, 14)]),
    "e2001_proc_argument_type": (("set A = {a1}", "var x: bool", "proc p(a in A) { x := true }",
                                  "init { x = true }", "action b { p(x) }"), [("E2001", 5, 14)]),
    "e2002_def_argument_cannot_fit": (("var x: 0..9", "def f(a in 0..3) = a", "init { x = f(7) }"),
                                      [("E2002", 3, 14)]),
    "e2006_assign_a_proc_param": (("var x: 0..3", "proc p(a in 0..3) { a := 1 }", "init { x = 0 }"),
                                  [("E2006", 2, 21)]),
    "e2007_def_reading_a_variable_in_a_const": (
        ("var x: 0..3", "def f = x + 1", "const K = f", "init { x = 0 }"), [("E2007", 3, 11)]),
    "e2007_def_param_domain_reads_the_state": (("var s: set bool", "def f(a in s) = a",
                                                "init { s = {} }"), [("E2007", 2, 12)]),
    "e1004_def_reads_an_unassigned_variable_in_init": (
        ("var x: 0..3", "var y: 0..3", "def f = y", "init { x = f", "  y = 0 }"),
        [("E1004", 4, 12)]),
    "def_body_error_reported_once_at_the_def": (
        ("var x: bool", "def f(a in bool) = a + 1", "init { x = f(true) }",
         "action b { x := f(false) }"), [("E2001", 2, 20)]),
    "proc_body_error_reported_once_at_the_proc": (
        ("var x: bool", "proc p { x := 1 }", "init { x = true }", "action a { p() }",
         "action b { p() }"), [("E2001", 2, 15)]),
    # ---- reach
    "e2001_reach_of_a_non_function": (("var x: 0..3", "var y: 0..3", "init { y = 0  x = len(reach(y, 0)) }"),
                                      [("E2001", 3, 29)]),
    "e2001_reach_of_a_function_to_another_type": (
        ("set A = {a1}", "var f: A -> bool", "init { f = {a: true for a in A} }",
         "invariant i: a1 in reach(f, a1)"), [("E2001", 4, 26)]),
    "e2001_reach_start_of_another_type": (
        ("set A = {a1}", "var f: A -> A?", "init { f = {a: none for a in A} }",
         "invariant i: a1 in reach(f, true)"), [("E2001", 4, 29)]),
    "e2004_reach_arity": (("set A = {a1}", "var f: A -> A?", "init { f = {a: none for a in A} }",
                           "invariant i: a1 in reach(f)"), [("E2004", 4, 20)]),
    # ---- named assertions and check selection
    "e1002_assertion_named_like_an_invariant": (
        ("var x: bool", "init { x = true }", "action a { assert ok: x }", "invariant ok: x"),
        [("E1002", 3, 19)]),
    "e0001_assert_name_without_condition": (
        ("var x: bool", "init { x = true }", "action a { assert ok: }"), [("E0001", 3, 23)]),
    "e1006_only_names_an_unknown_property": (
        ("var x: bool", "init { x = true }", "invariant i: x", "check c only i, nope: expect holds"),
        [("E1006", 4, 17)]),
    "e1006_expect_an_unknown_assertion": (
        ("var x: bool", "init { x = true }", "action a { assert ok: x }",
         "check c: expect assertion nope"), [("E1006", 4, 27)]),
    "e1006_expect_an_invariant_as_assertion": (
        ("var x: bool", "init { x = true }", "invariant i: x", "check c: expect assertion i"),
        [("E1006", 4, 27)]),
    "e1006_only_leaves_out_the_expected_invariant": (
        ("var x: bool", "init { x = true }", "invariant i: x", "invariant j: x",
         "check c only i: expect violation j"), [("E1006", 5, 34)]),
    "e1006_only_leaves_out_the_expected_assertion": (
        ("var x: bool", "init { x = true }", "invariant i: x", "action a { assert ok: x }",
         "check c only i: expect assertion ok"), [("E1006", 5, 34)]),
    "e1002_only_lists_a_name_twice": (
        ("var x: bool", "init { x = true }", "invariant i: x", "check c only i, i: expect holds"),
        [("E1002", 4, 17)]),
    # ---- proofs: `invariant helper`, `expect proved` and `expect cti`
    "e1006_cti_of_an_unknown_invariant": (PROOF + ("check c: expect cti nope",), [("E1006", 5, 21)]),
    "e1006_cti_of_an_assertion": (
        ("var x: bool", "init { x = true }", "action a { assert ok: x }",
         "check c: expect cti ok by 2-induction"), [("E1006", 4, 21)]),
    "e1006_only_leaves_out_the_cti_invariant": (
        PROOF + ("invariant j: x", "check c only j: expect cti i"), [("E1006", 6, 28)]),
    "e1006_except_leaves_out_the_cti_helper": (
        PROOF + ("check c except h: expect cti h",), [("E1006", 5, 30)]),
    "e1006_violation_of_a_helper": (PROOF + ("check c: expect violation h",), [("E1006", 5, 27)]),
    "e2002_induction_depth_zero": (
        PROOF + ("check c: expect proved by 0-induction",), [("E2002", 5, 27)]),
    "e2002_induction_depth_above_64": (
        PROOF + ("check c: expect cti i by 65-induction",), [("E2002", 5, 26)]),
    "e0001_induction_misspelt": (
        PROOF + ("check c: expect proved by 2-inductoin",), [("E0001", 5, 29)]),
    "e0001_proved_in_steps": (PROOF + ("check c: expect proved in 3 steps",), [("E0001", 5, 24)]),
    "e0001_invariant_word_not_helper": (
        ("var x: bool", "init { x = true }", "invariant helpr i: x"), [("E0001", 3, 11)]),
    # longer than Python converts to an int
    "e0001_steps_too_long": (
        ("var x: bool", "init { x = true }", "check c: expect deadlock in " + "9" * 5000 + " steps"),
        [("E0001", 3, 29)]),
    "e0001_induction_depth_too_long": (
        PROOF + ("check c: expect proved by " + "9" * 5000 + "-induction",), [("E0001", 5, 27)]),
    # ---- several errors are reported together, in source order
    "several_errors": (
        ("var x: 0..3", "var y: bool", "init { x = 0", "  y = true }",
         "action a { x := true }", "action b { y := 3 }", "invariant i: z"),
        [("E2001", 5, 17), ("E2001", 6, 17), ("E1001", 7, 14)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagnostic_code_and_location(name: str) -> None:
    lines, expected = CASES[name]
    assert where(spec(*lines)) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_puts_caret_under_the_column(name: str) -> None:
    lines, _ = CASES[name]
    text = spec(*lines)
    for d in diags(text):
        check_rendered(d, "t.mnt", text)


def check_rendered(d: Diagnostic, path: str, text: str) -> None:
    """The source line is echoed escaped (a control character as `\\x01`, ...), and the
    caret sits under the escaped form of the character at the span's column."""
    out = render(d, path, text).splitlines()
    assert out[0].startswith(f"{path}:{d.span.line}:{d.span.col}: error[{d.code}]: ")
    assert out[0].endswith(escape(d.message))
    src, caret = out[1], out[2]
    gutter = src.index(" | ") + 3
    assert src[:gutter] == f"{d.span.line:>4} | "
    source_line = text.split("\n")[d.span.line - 1].expandtabs(1)
    escaped, offsets = escape_columns(source_line)
    shown = src[gutter:]
    if len(source_line) <= 200:
        assert shown == escaped
        assert caret.index("^") == gutter + offsets[min(d.span.col - 1, len(source_line))]
    else:  # a window around the column
        assert shown in escaped and len(shown) < len(escaped)
    assert caret[:gutter].strip() == "|"
    assert set(caret[gutter:].strip()) == {"^"}
    at = caret.index("^") - gutter
    if d.span.col <= len(source_line):
        c = d.span.col - 1
        assert shown[at:].startswith(escaped[offsets[c]:offsets[c + 1]])
    else:  # just past the end of the line (end of file)
        assert at == len(shown)


# ---------------------------------------------------------------------------------------
# E0003: nesting too deep, never a RecursionError


def test_e0003_nested_parenthesised_sums() -> None:
    # 200 levels of `(1 + (1 + ...))`: the 117th sum is the first node below the limit.
    text = spec("var x: 0..3", "init { x = " + "(1 + " * 200 + "1" + ")" * 200 + " }")
    assert where(text) == [("E0003", 2, 12 + 5 * 116 + 1)]


def test_redundant_parentheses_do_not_nest() -> None:
    # `((((1))))` is one literal in the tree, however many parentheses: no E0003.
    load_text(spec("var x: 0..3", "init { x = " + "(" * 200 + "1" + ")" * 200 + " }"))


def test_e0003_not_chain() -> None:
    text = spec("var x: bool", "init { x = " + "not " * 5000 + "true }")
    assert where(text) == [("E0003", 2, 12 + 4 * 116)]


def test_e0003_long_flat_sum() -> None:
    text = spec("var x: 0..3", "init { x = 0 }", "invariant i: " + " + ".join(["x"] * 5000) + " >= 0")
    [(code, line, _)] = where(text)
    assert (code, line) == ("E0003", 3)


def test_e0003_nested_statements() -> None:
    text = ("var x: 0..3\ninit { x = 0 }\naction a {\n" + "if true {\n" * 200 + "x := 1\n"
            + "}\n" * 200 + "}\n")
    assert where(text) == [("E0003", 3 + 59, 1)]


def test_e0003_rendered_with_caret() -> None:
    text = spec("var x: bool", "init { x = " + "not " * 300 + "true }")
    [d] = diags(text)
    check_rendered(d, "t.mnt", text)


# ---------------------------------------------------------------------------------------
# E0002 / E0005: reading the file


def test_e0002_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "bad.mnt"
    p.write_bytes(b"var x: bool\ninit { x = \xff }\n")
    with pytest.raises(SpecError) as info:
        load_spec(str(p))
    [d] = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E0002", 2, 12)


def test_e0002_column_counts_characters(tmp_path: Path) -> None:
    p = tmp_path / "bad.mnt"
    p.write_bytes("// café ".encode() + b"\xff\n")  # é is two bytes, one column
    with pytest.raises(SpecError) as info:
        load_spec(str(p))
    [d] = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E0002", 1, 9)


def test_e0005_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(str(tmp_path / "nope.mnt"))
    assert [d.code for d in info.value.diagnostics] == ["E0005"]


def test_e0005_too_large(tmp_path: Path) -> None:
    p = tmp_path / "big.mnt"
    p.write_bytes(b"// " + b"x" * MAX_BYTES + b"\n")
    with pytest.raises(SpecError) as info:
        load_spec(str(p))
    assert [d.code for d in info.value.diagnostics] == ["E0005"]


# ---------------------------------------------------------------------------------------
# Warnings and other front-end behaviour


def test_w0001_symmetric_atom_named_in_an_action() -> None:
    loaded = load_text(spec("symmetric set P = {p1, p2}", "var who: P", "init { who = p1 }",
                            "action a { who := p2 }"), "t.mnt")
    assert [(w.code, w.span.line, w.span.col, w.severity) for w in loaded.warnings] == [
        ("W0001", 4, 19, "warning")]


def test_check_with_out_of_range_value_is_one_e2002() -> None:
    text = spec("param N: 0..3 = 1", "var x: bool", "init { x = true }",
                "check c with N = 7: expect holds")
    assert where(text) == [("E2002", 4, 18)]


def test_a_let_that_fails_adds_no_unknown_name_after_it() -> None:
    # the check's value is unknown, so the let that reads the param fails (already said):
    # its uses below are not "unknown name" errors of their own
    text = spec("enum E = {A, B}", "param e: E = A", "var x: 0..3", "init { x = 0 }",
                "proc p() {", "  let go = e == A", "  if go { x := 1 }", "}",
                "action a when x == 0 { p() }", "check c with e = C: expect holds")
    assert where(text) == [("E1001", 10, 18)]


def test_bool_as_a_whole_type_domain() -> None:
    # docs/semantics.md: `bool` is a whole-type domain of `{x: e for x in D}`
    loaded = load_text(spec("var f: bool -> 0..3", "var flag: bool", "init { f = {b: 0 for b in bool}",
                            "  flag in bool }", "action a(x in bool) { f[x] := 1 }"), "t.mnt")
    assert [v.name for v in loaded.default.vars] == ["f", "flag"]


def _assert_message(text: str) -> str:
    [action] = load_text(text, "t.mnt").default.actions
    [stmt] = action.body
    return stmt.message


@pytest.mark.parametrize("literal, message", [('"plain"', "plain"), ('"café"', "café"),
                                              ('"a \\"quoted\\" word"', 'a "quoted" word'),
                                              ('"tab\\there"', "tab\there")])
def test_assert_messages(literal: str, message: str) -> None:
    text = spec("var x: bool", "init { x = true }", f"action a {{ assert x {literal} }}")
    assert _assert_message(text) == message


def test_assert_message_non_ascii_with_escape() -> None:
    text = spec("var x: bool", "init { x = true }", 'action a { assert x "café \\"ok\\"" }')
    assert _assert_message(text) == 'café "ok"'


@pytest.mark.parametrize("sep", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\r"])
def test_locations_count_newlines_only(sep: str) -> None:
    # Characters that str.splitlines() treats as line breaks inside a comment: the parser
    # counts lines by "\n", so the location is line 4.
    text = f"// comment{sep}more\nvar x: bool\ninit {{ x = true }}\naction a {{ x := 3 }}\nspec t\n"
    assert where(text) == [("E2001", 4, 17)]


@pytest.mark.parametrize("sep", ["\x0c", "\u2028"])
def test_render_shows_the_reported_line(sep: str) -> None:
    text = f"// comment{sep}more\nvar x: bool\ninit {{ x = true }}\naction a {{ x := 3 }}\nspec t\n"
    [d] = diags(text)
    assert render(d, "t.mnt", text).splitlines()[1].endswith("action a { x := 3 }")


def test_end_of_file_location_counts_newlines_only() -> None:
    text = "// comment\u2028more\nvar x: bool\ninit { x = true"
    assert where(text) == [("E0001", 3, 16)]


def test_render_tabs_keep_the_column() -> None:
    text = "var x: bool\ninit {\tx = true }\naction a {\tx :=\t\t3 }\nspec t\n"
    [d] = diags(text)
    assert (d.code, d.span.line, d.span.col) == ("E2001", 3, 18)
    check_rendered(d, "t.mnt", text)


def test_render_long_line_caret_under_the_token() -> None:
    pad = "true and " * 40
    text = spec("var x: bool", "init { x = true }", f"invariant i: {pad}3")
    [d] = diags(text)
    out = render(d, "t.mnt", text).splitlines()
    src, caret = out[1], out[2]
    assert len(src) < len(text.split("\n")[2])  # the line was cut around the column
    assert src[caret.index("^")] == "3"


def test_render_without_source_or_location() -> None:
    d = Diagnostic("E0005", "cannot read the spec")
    assert render(d, "x.mnt", None) == "x.mnt: error[E0005]: cannot read the spec"
    d = Diagnostic("E2001", "boom", Span(9, 1, 9, 2))
    assert render(d, "x.mnt", "one line\n") == "x.mnt:9:1: error[E2001]: boom"


def test_render_notes_and_warnings() -> None:
    d = Diagnostic("W0001", "careful", Span(1, 5, 1, 6), severity="warning", notes=("a note",))
    out = render(d, "x.mnt", "var x: bool\n").splitlines()
    assert out[0] == "x.mnt:1:5: warning[W0001]: careful"
    assert out[-1] == "  note: a note"


# ---------------------------------------------------------------------------------------
# The CLI

GOOD = spec(
    "param buggy: bool = false",
    "param N: 0..3 = 1",
    "var x: 0..3",
    "init { x = 0 }",
    "action inc when x < N { x := x + 1 }",
    "action reset when x == N { x := 0 }",
    "invariant small: buggy or x <= 3",
    "check ok: expect holds",
)


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def good(tmp_path: Path) -> str:
    p = tmp_path / "good.mnt"
    p.write_text(GOOD)
    return str(p)


def test_cli_good_spec_passes(good: str) -> None:
    code, out, err = run([good, "--quiet"])
    assert code == 0, err
    assert "PASS ok" in out


def test_cli_type_error_is_150_with_caret(tmp_path: Path) -> None:
    p = tmp_path / "bad.mnt"
    p.write_text(spec("var x: 0..3", "init { x = 0 }", "action a { x := true }"))
    code, out, err = run([str(p)])
    assert code == 150
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{p}:3:17: error[E2001]: ")
    assert lines[1] == "   3 | action a { x := true }"
    assert lines[2].index("^") == lines[1].index("true")
    assert "Traceback" not in err


def test_cli_syntax_error_is_150(tmp_path: Path) -> None:
    p = tmp_path / "bad.mnt"
    p.write_text("var x: bool\ninit { x = true")
    code, _, err = run([str(p)])
    assert code == 150
    assert f"{p}:2:16: error[E0001]" in err


def test_cli_missing_file_is_150_e0005(tmp_path: Path) -> None:
    code, _, err = run([str(tmp_path / "nope.mnt")])
    assert code == 150
    assert "error[E0005]" in err


def test_cli_directory_without_specs_is_a_usage_error(tmp_path: Path) -> None:
    # a directory stands for the specs under it (the gate); with none, nothing to run
    code, _, err = run([str(tmp_path)])
    assert code == 2
    assert "no .mnt file under this directory" in err


def test_cli_non_utf8_is_150_e0002(tmp_path: Path) -> None:
    p = tmp_path / "bad.mnt"
    p.write_bytes(b"var x: bool\ninit { x = \xff }\n")
    code, _, err = run([str(p)])
    assert code == 150
    assert f"{p}:2:12: error[E0002]" in err


@pytest.mark.parametrize("override", ["nosuch=1", "buggy", "=1", "buggy=)", "1x=2"])
def test_cli_bad_set_is_usage_error(good: str, override: str) -> None:
    code, out, err = run([good, "--quiet", "--set", override])
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err


@pytest.mark.parametrize("override", ["buggy=3", "N=7", "N=true", "N=x", "N=none", "N=1..2"])
def test_cli_set_value_of_wrong_type_is_usage_error(good: str, override: str) -> None:
    code, out, err = run([good, "--quiet", "--set", override])
    assert code == 2, err
    assert "good.mnt:1:" not in err  # nothing in the spec is wrong


def test_cli_good_set_applies(good: str) -> None:
    code, out, _ = run([good, "--quiet", "--set", "N=3"])
    assert code == 0
    assert "with N = 3 [line" in out  # the text names only what was set


def test_cli_unknown_check_is_usage_error(good: str) -> None:
    code, _, err = run([good, "--check", "nope"])
    assert code == 2
    assert "nope" in err


@pytest.mark.parametrize("args", [["--frobnicate"], ["--max-states", "-1"], ["--max-states", "x"],
                                  ["--max-seconds", "0"], ["--format", "xml"], ["--check"]])
def test_cli_bad_flag_is_usage_error(good: str, args: list[str]) -> None:
    code, out, err = run([good, *args])
    assert code == 2
    assert out == ""
    assert err.startswith("explore: error: ")


def test_cli_no_arguments_is_usage_error() -> None:
    code, _, err = run([])
    assert code == 2
    assert err.startswith("explore: error: ")


def test_cli_capsys_default_streams(good: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([good, "--quiet", "--check", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no check named `nope`" in captured.err


def test_open_operand_message_says_to_parenthesise() -> None:
    with pytest.raises(SpecError) as info:
        load_text("set S = {a}\nvar x: bool\ninit { x = true }\n"
                  "invariant i: x == forall s in S: x", "t.mnt")
    (d,) = info.value.diagnostics
    assert d.message == ("`forall` cannot start an operand of `==`: put a quantifier in "
                         "parentheses there")


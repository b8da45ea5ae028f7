"""The z3 engine: bounded model checking and induction over the same Model."""

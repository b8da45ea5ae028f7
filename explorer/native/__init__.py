"""The compiled explicit engine: the typed IR translated into C (cgen.py), compiled by the
machine's C compiler into a shared library cached per user (build.py), and run through
ctypes by the same breadth-first search as the Python engine, written in C (search.c).
engine.py turns its raw result into a `Result` with the Python engine's own decoding, so
traces are rebuilt from parent links and replayed through the interpreter as for every
engine."""

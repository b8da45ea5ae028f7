"""mnt-explorer: a TLA+-style model checker for Linux mount lifecycle protocols.

Importing the package must stay cheap: lark, z3 and graphviz are imported only by the
modules that own them (lang/parser.py, symbolic/, reports/diagram.py).
"""

__version__ = "0.1.0"

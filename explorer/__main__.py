"""`python -m explorer` is the `explore` command."""

from explorer.cli import main_entry

main_entry()

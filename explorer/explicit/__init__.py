"""The explicit-state engine: generated Python over compact states, and BFS."""

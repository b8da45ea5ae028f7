"""Renderers of Results and Traces (text, JSON); they never see engine internals."""

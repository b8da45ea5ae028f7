"""Import discipline: heavy dependencies stay in the modules that own them, importing the
package and the CLI stays cheap, and the layers import one way only.

Every import in a module counts, including those inside functions (lazy imports), and
`importlib.import_module("...")` / `__import__("...")` with a literal name.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "explorer"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "_generated" not in p.parts)


@cache
def imports_of(path: Path) -> frozenset[str]:
    """Every module name `path` imports (absolute, relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            # `from explorer import model` imports the module explorer.model
            out.update(f"{mod}.{a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Call):
            fn = node.func
            fname = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if (fname in ("import_module", "__import__") and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                out.add(node.args[0].value)
    return frozenset(out)


def top(name: str) -> str:
    return name.split(".")[0]


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def explorer_imports(path: Path) -> set[str]:
    """The explorer modules `path` imports (names that are not modules, such as
    `explorer.model.Span`, are reduced to the module they come from)."""
    out = set()
    for name in imports_of(path):
        if not within(name, "explorer"):
            continue
        parts = name.split(".")
        while len(parts) > 1:
            cand = ROOT.joinpath(*parts)
            if cand.with_suffix(".py").is_file() or (cand / "__init__.py").is_file():
                break
            parts.pop()
        out.add(".".join(parts))
    return out


def test_scanner_sees_modules() -> None:
    names = {module_name(p) for p in modules()}
    assert {"explorer.cli", "explorer.lang.parser", "explorer.model"} <= names
    assert "lark" in {top(n) for n in imports_of(PKG / "lang" / "parser.py")}


# ---------------------------------------------------------------------------------------
# Heavy dependencies


@pytest.mark.parametrize("path", modules(), ids=lambda p: module_name(p))
def test_heavy_dependencies_stay_in_their_modules(path: Path) -> None:
    name = module_name(path)
    tops = {top(n) for n in imports_of(path)}
    if "lark" in tops:
        assert name == "explorer.lang.parser", f"{name} imports lark"
    if "z3" in tops:
        assert within(name, "explorer.symbolic"), f"{name} imports z3"
    if "graphviz" in tops:
        assert name == "explorer.reports.diagram", f"{name} imports graphviz"


def _heavy_modules_after(code: str) -> str:
    """Run `code` in a fresh interpreter; which of lark, z3, graphviz it loaded."""
    probe = code + "\nimport sys\nprint(','.join(m for m in ('lark', 'z3', 'graphviz') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=_env())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_importing_the_package_and_cli_is_cheap() -> None:
    heavy = _heavy_modules_after("import explorer, explorer.cli")
    assert heavy == "", f"importing explorer.cli loaded {heavy}"


def test_cli_usage_error_does_not_load_the_front_end() -> None:
    assert _heavy_modules_after(
        "import io\nfrom explorer.cli import main\n"
        "assert main(['--frobnicate'], stdout=io.StringIO(), stderr=io.StringIO()) == 2") == ""


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ---------------------------------------------------------------------------------------
# One-way layering

ALLOWED_FOR_LANG = ("explorer.model", "explorer.types", "explorer.values", "explorer.diagnostics",
                    "explorer.budget",
                    "explorer.lang")


def _by_prefix(prefix: str) -> list[Path]:
    return [p for p in modules() if within(module_name(p), prefix)]


@pytest.mark.parametrize("path", _by_prefix("explorer.lang"), ids=lambda p: module_name(p))
def test_lang_imports_only_the_core(path: Path) -> None:
    bad = {m for m in explorer_imports(path)
           if m != "explorer" and not any(within(m, a) for a in ALLOWED_FOR_LANG)}
    assert not bad, f"{module_name(path)} imports {sorted(bad)}"


def test_model_imports_only_values() -> None:
    assert explorer_imports(PKG / "model.py") <= {"explorer.values"}


def test_values_imports_nothing_from_explorer() -> None:
    assert explorer_imports(PKG / "values.py") == set()


def test_outdir_imports_nothing_from_explorer() -> None:
    # every layer that writes a file may use it
    assert explorer_imports(PKG / "outdir.py") == set()


def test_diagnostics_imports_only_model_and_textsafe() -> None:
    assert explorer_imports(PKG / "diagnostics.py") <= {"explorer.model", "explorer.textsafe"}


def test_textsafe_imports_nothing_from_explorer() -> None:
    # the bottom of the graph: diagnostics and every report escape spec text with it
    assert explorer_imports(PKG / "textsafe.py") == set()


def test_budget_imports_nothing_from_explorer() -> None:
    # every layer polls the run's limits, so the budget sits below them all
    assert explorer_imports(PKG / "budget.py") == set()


@pytest.mark.parametrize("path", _by_prefix("explorer.explicit"), ids=lambda p: module_name(p))
def test_explicit_does_not_import_cli_or_reports(path: Path) -> None:
    bad = {m for m in explorer_imports(path)
           if within(m, "explorer.cli") or within(m, "explorer.reports")}
    assert not bad, f"{module_name(path)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _by_prefix("explorer.explicit"), ids=lambda p: module_name(p))
def test_explicit_does_not_import_the_language(path: Path) -> None:
    # the type algebra both share lives below them, in explorer.types
    bad = {m for m in explorer_imports(path) if within(m, "explorer.lang")}
    assert not bad, f"{module_name(path)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _by_prefix("explorer.reports"), ids=lambda p: module_name(p))
def test_reports_do_not_import_engines_or_the_language(path: Path) -> None:
    bad = {m for m in explorer_imports(path)
           if within(m, "explorer.explicit") or within(m, "explorer.lang")}
    assert not bad, f"{module_name(path)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", [p for p in modules() if module_name(p) not in
                                  ("explorer.cli", "explorer.__main__")],
                         ids=lambda p: module_name(p))
def test_nothing_imports_the_cli(path: Path) -> None:
    assert not any(within(m, "explorer.cli") for m in explorer_imports(path))


def test_symbols_imports_nothing_from_explorer() -> None:
    """Every engine names its symbols through explorer.symbols: it sits below them all."""
    assert explorer_imports(PKG / "symbols.py") == set()

"""The layers of `portal/` (docs/architecture.md), checked on the source with `ast`, nothing imported.

- No import cycle of any length among `portal/` files, counting imports made inside functions.
- The core imports no domain, channel or app module; a domain imports no channel or app module;
  the shared web forms import no channel; a channel imports no other channel (devtools and the
  app assemble them).
- An import of the project's own modules inside a function needs a comment on the line before it,
  starting `# Imported here`, saying why it cannot be at module level.

`lint-imports` (import-linter, configured in `.importlinter`) checks the layers a second way in `make test`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "portal"

# Layers, lowest first; a module may import its own layer's modules and any lower layer's.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("portal.core",)),
    ("domain", ("portal.triage", "portal.tips", "portal.sampling")),
    ("forms", ("portal.forms",)),
    ("channel", ("portal.web", "portal.hotline", "portal.staff")),
    ("assembly", ("portal.devtools", "portal.demo", "portal.jobs", "portal.cli", "portal.errors", "portal.app", "portal")),
]
CHANNELS = ("portal.web", "portal.hotline", "portal.staff")
FUNCTION_LEVEL_MARKER = "# Imported here"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported portal module, line, inside a function) for each import in `module`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module for a in node.names]
        else:
            continue
        for name in names:
            if name == "portal" or name.startswith("portal."):
                target = _resolve(name)
                if target and target != module:
                    found.append((target, node.lineno, node.lineno in inside))
    return found


def _layer(module: str) -> int:
    best, rank = -1, -1
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    return rank


def _channel(module: str) -> str | None:
    return next((c for c in CHANNELS if module == c or module.startswith(c + ".")), None)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_no_import_cycle_among_portal_files_even_through_imports_inside_functions() -> None:
    graph = {module: {target for target, _line, _inside in _imports(module)} for module in MODULES}
    assert _strongly_connected(graph) == []


def test_each_layer_imports_only_its_own_and_the_layers_below_it() -> None:
    upward = [
        f"{module} ({LAYERS[_layer(module)][0]}) imports {target} ({LAYERS[_layer(target)][0]}), line {line}"
        for module in sorted(MODULES)
        for target, line, _inside in _imports(module)
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_channel_imports_another_channel() -> None:
    crossing = [
        f"{module} imports {target}, line {line}"
        for module in sorted(MODULES)
        for target, line, _inside in _imports(module)
        if _channel(module) and _channel(target) and _channel(module) != _channel(target)
    ]
    assert crossing == []


def test_every_import_of_our_own_modules_inside_a_function_says_why() -> None:
    unexplained = []
    for module in sorted(MODULES):
        lines = MODULES[module].read_text(encoding="utf-8").splitlines()
        for target, line, inside in _imports(module):
            if inside and not lines[line - 2].strip().startswith(FUNCTION_LEVEL_MARKER):
                unexplained.append(f"{module} line {line} imports {target}")
    assert unexplained == []


def test_the_layer_table_knows_every_module() -> None:
    assert [module for module in MODULES if _layer(module) < 0] == []

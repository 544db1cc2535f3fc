"""The shape of the code: which package may import which (see docs/ARCHITECTURE.md).

Read from the source with `ast`, so a rule broken anywhere (even by an import inside a function)
fails here with the module and the import that broke it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "workers")
# The HTTP layer: the app factory, its plumbing, the staff pages and the JSON API.
WEB = ("bot.app", "bot.web", "bot.admin", "bot.api")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The project modules `path` imports, anywhere in it but under `if TYPE_CHECKING:`."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from bot import references` imports the module bot.references.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _broken(importer: tuple[str, ...], imported: tuple[str, ...], allowed=lambda name: False) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if _within(name, importer) and not allowed(name)
        for target in targets
        if _within(target, imported)
    )


def test_the_source_is_read():
    assert {"bot.engine.interpreter", "bot.app", "workers.jobs"} <= set(GRAPH)
    assert "bot.engine.flow" in GRAPH["bot.engine.interpreter"]


def test_there_is_no_import_cycle():
    # Tarjan's strongly connected components: any with more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_engine_imports_nothing_of_the_project_outside_itself():
    assert [line for line in _broken(("bot.engine",), PACKAGES) if " imports bot.engine" not in line] == []


def test_the_staff_pages_and_the_api_do_not_import_each_other():
    assert _broken(("bot.admin",), ("bot.api",)) == []
    assert _broken(("bot.api",), ("bot.admin",)) == []


def test_only_the_web_layer_and_the_cli_import_bot_web():
    assert _broken(PACKAGES, ("bot.web",), allowed=lambda name: _within(name, (*WEB, "bot.cli"))) == []


@pytest.mark.parametrize("layer", ["bot.admin", "bot.api", "bot.app"])
def test_the_domain_never_imports_the_http_layer(layer):
    assert _broken(PACKAGES, (layer,), allowed=lambda name: _within(name, (*WEB, "bot.cli"))) == []

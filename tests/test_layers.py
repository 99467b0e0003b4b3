"""The house's layering: the import contracts in pyproject.toml hold, and no module imports
itself round a loop (import-linter sees loops between siblings only; this sees every one)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
CONTRACTS = [c["id"] for c in read_configuration(str(PYPROJECT))["contracts_options"]]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_contract_holds(contract: str, capsys: pytest.CaptureFixture[str]) -> None:
    kept = lint_imports(str(PYPROJECT), limit_to_contracts=(contract,), cache_dir=None,
                        no_logo=True)
    assert kept, capsys.readouterr().out


def _loops(imports: Mapping[str, set[str]]) -> Iterator[list[str]]:
    """Every strongly connected group of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    yield sorted(group)


def _loop_path(imports: Mapping[str, set[str]], group: list[str]) -> str:
    """The shortest loop through each member of a group, as `a -> b -> a`, one a line."""
    members, loops = set(group), []
    for start in group:
        paths, queue = {start: [start]}, [start]
        while queue:
            node = queue.pop(0)
            if start in imports[node]:
                loop = " -> ".join([*paths[node], start])
                if not any(set(paths[node]) == set(seen.split(" -> ")) for seen in loops):
                    loops.append(loop)
                break
            for child in sorted(imports[node] & members):
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    queue.append(child)
    return "\n".join(loops)


def _graph(packages: bool) -> dict[str, set[str]]:
    graph = grimp.build_graph("bridge", cache_dir=None)
    def room(module: str) -> str:
        return ".".join(module.split(".")[:2]) if packages else module
    imports: dict[str, set[str]] = {room(m): set() for m in graph.modules}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if room(imported) != room(module):
                imports[room(module)].add(room(imported))
    return imports


@pytest.mark.parametrize("packages", [False, True], ids=["modules", "packages"])
def test_no_import_loops(packages: bool) -> None:
    imports = _graph(packages)
    loops = [_loop_path(imports, group) for group in _loops(imports)]
    assert not loops, "import loops:\n" + "\n".join(loops)


def test_a_loop_is_found_and_named() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [_loop_path(imports, g) for g in _loops(imports)] == ["a -> b -> c -> a"]

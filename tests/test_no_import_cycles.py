"""No import cycle among the modules of the site and the engine (`courseweb`, `graders`, `gpu_runner`).

The graph is grimp's (the library import-linter's contracts are checked with), with every import it sees: those
under `if TYPE_CHECKING:` and those inside functions too, since a function-local import is still a dependency.
A cycle is a strongly connected component of more than one module; the failure lists each one's modules and the
imports (importer -> imported, line) that close it.
"""

from __future__ import annotations

import grimp

PACKAGES = ("courseweb", "graders", "gpu_runner")


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        *PACKAGES, include_external_packages=False, exclude_type_checking_imports=False, cache_dir=None
    )


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of a directed graph (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    return sorted((c for c in strongly_connected(edges) if len(c) > 1), key=lambda c: sorted(c))


def _describe(graph: grimp.ImportGraph, component: set[str]) -> str:
    lines = [f"cycle of {len(component)} modules: {', '.join(sorted(component))}"]
    for importer in sorted(component):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & component):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer} -> {imported} (line {detail['line_number']})")
    return "\n".join(lines)


def test_the_cycle_finder_finds_a_cycle_and_only_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"f"}}
    assert sorted(sorted(c) for c in strongly_connected(edges) if len(c) > 1) == [["a", "b", "c"]]


def test_no_module_imports_itself_back() -> None:
    graph = _graph()
    assert "courseweb.homework.services.grading" in graph.modules  # the graph covers the site
    found = cycles(graph)
    assert not found, "import cycles (move the shared code to the module both need):\n" + "\n".join(
        _describe(graph, c) for c in found
    )

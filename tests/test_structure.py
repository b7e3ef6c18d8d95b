"""The code's shape: no import cycle in src/amzn_qa, and no long function in the answer stages."""

import ast
from pathlib import Path

from amzn_qa.config import PROJECT_ROOT

SRC = PROJECT_ROOT / "src"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (SRC / "amzn_qa").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `module` imports anywhere: at module level, in a function, or only for
    type checking."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports that module; `from module import name`, the module.
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names)
    return {name for name in found if name in modules and name != module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, done, path = [], set(), []

    def visit(module: str) -> None:
        path.append(module)
        for imported in sorted(graph[module]):
            if imported in path:
                cycles.append(path[path.index(imported):] + [imported])
            elif imported not in done:
                visit(imported)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return cycles


def _graph() -> dict[str, set[str]]:
    """Each module of the project -> the project modules it imports."""
    modules = _modules()
    return {module: _imported(module, path, modules) for module, path in modules.items()}


def test_no_module_of_the_project_imports_itself_through_others():
    graph = _graph()
    assert "amzn_qa.answer.stages" in graph["amzn_qa.answer.pipeline"]  # the walk sees imports
    assert "amzn_qa.frontends.api" in graph["amzn_qa.frontends.cli"]  # function-local ones too
    assert "amzn_qa.frontends.backend" in graph["amzn_qa.frontends.mcp_server"]  # and type-checking ones
    assert _cycles(graph) == []


def test_only_the_command_line_imports_the_web_server():
    """frontends/api.py assembles `amzn-qa serve` from the other front ends; what they share
    lives in modules of its own (backend, guards, streaming), so none of them imports it back."""
    graph = _graph()
    assert {module for module, imported in graph.items() if "amzn_qa.frontends.api" in imported} == {
        "amzn_qa.frontends.cli"}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_evaluation_reads_answers_with_a_parser_of_its_own():
    """A metric computed with the chain's own figure or refusal parser could not show that
    parser's bugs: the harness runs the chain, but reads its answers with evaluation/reading.py."""
    graph = _graph()
    assert "amzn_qa.evaluation.reading" in graph["amzn_qa.evaluation.harness"]
    assert not {"amzn_qa.answer.text", "amzn_qa.answer.grounding"} & graph["amzn_qa.evaluation.harness"]
    assert not {module for module in graph["amzn_qa.evaluation.reading"] if module.startswith("amzn_qa.answer")}


def test_no_function_in_answer_is_over_40_lines_docstring_included():
    long = []
    for path in sorted((SRC / "amzn_qa" / "answer").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 40:
                long.append(f"{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert long == []

"""The package's shape: no import circles, no training code behind `annotate`, one of each
shared function."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from helpers import REPO, SAMPLES, ffmpeg

PACKAGE = REPO / "annotator"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """module -> the package's modules it imports (anywhere in the file, lazy imports too)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from annotator import media` names a module; `from x import f` a function.
                targets = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = 1, path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node], _ = 2, path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    # The graph sees real imports (else an empty graph would pass): a plain one and a lazy one.
    assert "annotator.schema" in graph["annotator.transcript"]
    assert "annotator.training.corpus_labels" in graph["annotator.training.corpora"]
    assert find_cycle(graph) is None


def test_the_transcript_model_imports_no_layer_above_it() -> None:
    graph = import_graph()
    assert graph["annotator.schema"] == set()
    assert graph["annotator.transcript"] <= {"annotator.schema"}


def test_inference_modules_never_import_training_code() -> None:
    graph = import_graph()
    for module, imports in graph.items():
        if module.startswith(("annotator.training", "annotator.commands")):
            continue
        leaks = {m for m in imports if m.startswith("annotator.training")}
        if module == "annotator.cli":
            continue  # imports training only through `annotate train/evaluate` (commands)
        assert not leaks, f"{module} imports {leaks}"


def test_shared_functions_are_defined_once() -> None:
    names = Counter()
    for path in _modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names[node.name] += 1
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names[node.target.id] += 1
    for name in (
        "softmax",
        "log_softmax",
        "similarity_transform",
        "align_face",
        "small_face_landmarks",
        "fit_temperature",
        "fit_logistic_regression",
        "resolve",
        "bundled_model_dir",
        "SAMPLE_RATE",
        "parse_ravdess_name",
        "decode_audio",
        "load_audio",
        "FACE_LABELS",
    ):
        assert names[name] == 1, f"{name} is defined {names[name]} times"


def test_annotating_a_recording_imports_no_training_module(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    ffmpeg("-i", str(SAMPLES / "meeting.mp4"), "-t", "6", str(clip))
    script = (
        "import json, sys\n"
        "from annotator.cli import main\n"
        "try:\n"
        f"    main([{str(clip)!r}, '-o', {str(tmp_path / 'clip.json')!r}, '-q'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('annotator'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "annotator.pipeline" in loaded and "annotator.emotion.tagger" in loaded  # it ran
    assert [m for m in loaded if m.startswith(("annotator.training", "annotator.commands"))] == []
    assert json.loads((tmp_path / "clip.json").read_text())["utterances"]

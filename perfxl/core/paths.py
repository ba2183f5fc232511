"""Where a project's folders are: templates/ and examples/ beside the configuration in use."""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = "templates"
# The sample workbooks: `make` runs them when input/ holds no workbook; mail never sends them.
EXAMPLES_DIR = "examples"
BUILT_IN_DIR = Path(__file__).resolve().parents[1] / TEMPLATES_DIR


def resolve_template(name: str, root: Path = Path(".")) -> Path | None:
    """The template `name` from `root`/templates/, else the built-in copy shipped with perfxl.

    None means perfxl builds that template in code (the Word form's OOXML parts).
    """
    for folder in (root / TEMPLATES_DIR, BUILT_IN_DIR):
        if (folder / name).is_file():
            return folder / name
    return None


def is_built_in(template: Path | None) -> bool:
    """True when `template` is not a project's own file (built in code, or shipped with perfxl)."""
    return template is None or template.resolve().parent == BUILT_IN_DIR


def is_examples(folder: Path, root: Path = Path(".")) -> bool:
    """True when `folder` is (or lies inside) the examples/ folder of the project or of perfxl itself."""
    folder = folder.resolve()
    for examples in {(root / EXAMPLES_DIR).resolve(), BUILT_IN_DIR.parent.parent / EXAMPLES_DIR}:
        if folder == examples or examples in folder.parents:
            return True
    return False

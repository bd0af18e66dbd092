"""Eval cases: a folder holding a document and `labels.yaml`, what is planted in it (DESIGN.md, "evals").

    one_way_doors: [{decision, anchor}]   # [] in a control: a document whose decisions are all reversible
    weak_assumptions: [{anchor}]          # optional
    two_way_doors: [{decision, anchor}]   # optional decoys: big-sounding but reversible

Each anchor is verbatim text of the document. Everything is checked before any model call: a case that
cannot be scored is reported, with its folder, and nothing is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import CaseError

LABELS = "labels.yaml"
DOC_NAMES = ("doc.md", "doc.txt", "doc.pdf", "doc.docx")


class Anchored(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anchor: str = Field(min_length=1, description="Verbatim text of the document.")


class Planted(Anchored):
    decision: str = Field(min_length=1)


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    one_way_doors: list[Planted]
    weak_assumptions: list[Anchored] = []
    two_way_doors: list[Planted] = []


@dataclass(frozen=True)
class Case:
    name: str
    document: Path
    labels: Labels

    @property
    def control(self) -> bool:
        return not self.labels.one_way_doors


def builtin_corpus() -> Path:
    return Path(__file__).parent / "corpus"


def load_cases(folder: Path) -> list[Case]:
    """Every case under `folder` (each sub-folder with a labels.yaml, or `folder` itself), by name."""
    if not folder.is_dir():
        raise CaseError(f"{folder} is not a folder of cases (each a folder with a document and {LABELS})")
    if (folder / LABELS).is_file():
        return [load_case(folder)]
    cases = [load_case(sub) for sub in sorted(folder.iterdir()) if (sub / LABELS).is_file()]
    if not cases:
        raise CaseError(f"no cases in {folder}: a case is a folder with a document (doc.md) and {LABELS}")
    return cases


def load_case(folder: Path) -> Case:
    return Case(folder.name, _document_of(folder), _labels_of(folder / LABELS))


def _document_of(folder: Path) -> Path:
    named = [folder / name for name in DOC_NAMES if (folder / name).is_file()]
    others = [
        p for p in sorted(folder.iterdir()) if p.is_file() and p.name != LABELS and not p.name.startswith(".")
    ]
    found = named or others
    if len(found) != 1:
        raise CaseError(
            f"{folder}: expected one document beside {LABELS} (doc.md, or any file `review` reads), "
            f"found {len(found)}"
        )
    return found[0]


def _labels_of(path: Path) -> Labels:
    try:
        return Labels.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CaseError(f"{path}: {where}: {first['msg']}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot be read ({exc})") from None

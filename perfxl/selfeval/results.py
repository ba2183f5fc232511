"""A self-evaluation run's results: the evaluations read, their scores, and what the ledger says of each."""

from __future__ import annotations

from dataclasses import dataclass, field

from perfxl.core.config import Config
from perfxl.core.model import ERROR, WARNING, Finding
from perfxl.engine.batch import Batch, FileResult
from perfxl.selfeval.scoring import Score, grade


@dataclass
class SelfEvalBatch(Batch):
    """A self-evaluation run: `projects` holds the evaluations read, `scores` their scores by file."""

    scores: dict[str, Score] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)  # the [selfeval] settings the grades come from

    def add(self, result: FileResult) -> None:
        super().add(result)
        if result.project is not None:
            self.scores[result.entry.file] = result.extra

    def grade(self, file: str, config: Config) -> str:
        return grade(self.scores[file].total, config.selfeval)

    def ledger_message(self, file: str, findings: list[Finding]) -> str:
        """The score and the final findings (severities and disabled rules applied) of a file read."""
        result = self.scores[file]
        errors = sum(1 for f in findings if f.severity == ERROR)
        warnings = sum(1 for f in findings if f.severity == WARNING)
        scored = f"总分 {result.total:.2f}（{grade(result.total, self.settings)}）"
        if errors:
            return f"已读取；{scored}；有 {errors} 个错误、{warnings} 个警告，未通过，不生成自评表"
        return f"已读取；{scored}；{warnings} 个警告" if warnings else f"已读取；{scored}；未发现问题"

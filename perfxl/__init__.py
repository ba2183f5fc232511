"""perfxl: read 财政项目支出绩效目标表 workbooks, validate them, write the consolidated workbook and forms."""

__version__ = "0.1.0"

from .catalogue import CATALOGUE, RuleSpec
from .config import Config, ConfigError, load_config
from .model import Finding, Indicator, LedgerEntry, Project
from .pipeline import Batch, OutputError, run, validate
from .reader import read_project

__all__ = [
    "CATALOGUE", "Batch", "Config", "ConfigError", "Finding", "Indicator", "LedgerEntry", "OutputError",
    "Project", "RuleSpec", "load_config", "read_project", "run", "validate",
]

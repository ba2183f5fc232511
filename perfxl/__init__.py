"""perfxl: read 财政项目支出绩效目标表 workbooks, validate them, write the consolidated workbook and forms."""

__version__ = "0.1.0"

from perfxl.core.catalogue import CATALOGUE, RuleSpec
from perfxl.core.config import Config, ConfigError, load_config
from perfxl.core.model import Finding, Indicator, LedgerEntry, Project
from perfxl.target.pipeline import Batch, OutputError, run, validate
from perfxl.target.reader import read_project

__all__ = [
    "CATALOGUE", "Batch", "Config", "ConfigError", "Finding", "Indicator", "LedgerEntry", "OutputError",
    "Project", "RuleSpec", "load_config", "read_project", "run", "validate",
]

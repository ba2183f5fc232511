"""The 目标表 form kind: reading target workbooks, its rules, the batch, the consolidated workbook."""

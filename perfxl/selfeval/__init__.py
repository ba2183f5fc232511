"""The 自评表 form kind: the year-end self-evaluation workbooks, scores, rules and outputs."""

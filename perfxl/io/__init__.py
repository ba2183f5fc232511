"""Files in and out: the safe file layer, workbook and Word reading, workers, the sandbox, Word forms."""

"""Word forms into workbooks (import) and workbooks of one layout into another (migrate)."""

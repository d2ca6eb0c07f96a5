"""The records analysts edit: visits, findings, assessments and meetings (editing), their withdrawal,
restoration and deletion (withdrawal), and each row's history with Undo (history)."""

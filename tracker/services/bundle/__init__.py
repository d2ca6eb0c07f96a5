"""The bundle: its files declared once (files), read (quick_rows, workbook), checked and written (importer),
exported as CSV, a workbook or a Data Package, the tracking matrix as a workbook, and the demo bundle."""

"""Writes a CSV list as an .xlsx workbook with openpyxl (Debian python3-openpyxl), the writer pandas and
most Python exports use: python3 openpyxl_book.py IN.csv OUT.xlsx. Integers (customer ids, phones held as
numbers) become number cells, the rest shared strings; write-only mode keeps memory flat."""
import csv
import sys

from openpyxl import Workbook

wb = Workbook(write_only=True)
ws = wb.create_sheet("customers")
with open(sys.argv[1], newline="") as f:
    for i, row in enumerate(csv.reader(f)):
        if i > 0:
            row = [int(v) if v.isdigit() and len(v) < 16 else v for v in row]
        ws.append(row)
wb.save(sys.argv[2])

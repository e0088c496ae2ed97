"""Writes the Excel fixtures with openpyxl (an independent writer): python3 xlsx.py OUTDIR

The rows are a formula of i that records' tests repeat. After saving, the phone_float cells are rewritten
in the E-notation Excel itself uses for large floats (4.47911123456E+11), and the formula cells get
cached values the way Excel saves them (openpyxl writes formulas without one).
"""
import datetime
import re
import sys
import zipfile

import openpyxl

out = sys.argv[1]
N = 120

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Customers"
ws.append(["email", "phone", "phone_float", "maid", "signed_up", "total", "notes"])
for i in range(N):
    if i == 0:
        email = "janedoe@gmail.com"
    elif i == 1:
        email = " Jane.Doe+shopping@Gmail.com "
    elif i % 10 == 7:
        email = None
    else:
        email = "Person%d.Name+promo@Example.COM" % i
    phone = 16134444444 if i == 0 else 16135550000 + i  # an int cell
    maid = "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25" if i == 0 else "%08x-0000-4000-8000-%012x" % (i, i)
    row = [email, phone, float(16139990000 + i), maid,
           datetime.datetime(2024, 1, 1) + datetime.timedelta(days=i),
           "=B%d*2" % (i + 2), "note %d" % i]
    ws.append(row)
    ws.cell(row=i + 2, column=5).number_format = "yyyy-mm-dd"
# A blank row in the middle and a row with a value far to the right are part of real sheets.
ws.insert_rows(60)

phones = wb.create_sheet("Phones only")
for i in range(40):
    phones.append(["+1 (613) 555-%04d" % i])

wb.create_sheet("Empty")
path = out + "/list.xlsx"
wb.save(path)

# Post-process the Customers sheet as Excel would have saved it.
src = zipfile.ZipFile(path)
items = [(info, src.read(info.filename)) for info in src.infolist()]
src.close()
def efloat(m):
    v = float(m.group(2))
    mant, exp = ("%.11E" % v).split("E")
    mant = mant.rstrip("0").rstrip(".")
    return '%s<v>%sE%s%02d</v>' % (m.group(1), mant, exp[0], int(exp[1:]))
def cached(m):
    row = int(m.group(2))
    return '%s<f>%s</f><v>%d</v></c>' % (m.group(1), m.group(3), 2 * (16134444444 if row == 2 else 16135550000 + row - 2 - (1 if row > 60 else 0)))
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
    for info, data in items:
        if info.filename == "xl/worksheets/sheet1.xml":
            text = data.decode()
            text = re.sub(r'(<c r="C\d+"[^>]*>)<v>([0-9.]+)</v>', efloat, text)
            text = re.sub(r'(<c r="F(\d+)"[^>]*>)<f>([^<]*)</f><v\s*/?>(?:</v>)?</c>', cached, text)
            data = text.encode()
        dst.writestr(info, data)

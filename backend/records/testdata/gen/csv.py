"""Writes the CSV list that generate.sh compresses: python3 csv.py FIRST_HALF SECOND_HALF (300 rows)."""
import sys

rows = ["email,phone\n"]
for i in range(300):
    if i == 0:
        email, phone = "janedoe@gmail.com", "+374 93 828 222"
    elif i == 1:
        email, phone = '" Jane.Doe+shopping@Gmail.com "', "(613)-444-4444"
    elif i == 2:
        email, phone = '" fake_email@doesnotexist.com "', "+44 844 412 4653"
    else:
        email, phone = "Person%d.Name+promo@Example.COM" % i, "+1 (613) 555-%04d" % i
    rows.append("%s,%s\n" % (email, phone))
open(sys.argv[1], "w").write("".join(rows[:151]))
open(sys.argv[2], "w").write("".join(rows[151:]))

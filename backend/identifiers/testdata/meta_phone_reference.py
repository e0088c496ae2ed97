# Meta's PHONE rule written from its text, on Python's libphonenumber port
# (Debian python3-phonenumbers): remove symbols and letters-free input's
# leading zeros; a number written with an international prefix (+, 00) is
# already its country code and number; one without it gets the country code
# of the region it is read in. Reads "REGION<TAB>input" lines, writes the
# digits Meta hashes, or "x" for a value that is not a possible number.
import re
import sys

import phonenumbers

for line in sys.stdin:
    region, raw = line.rstrip("\n").split("\t", 1)
    s = raw.strip()
    if re.search(r"[^\W\d_]", s):
        print("x")
        continue
    digits = re.sub(r"\D", "", s)
    international = s.lstrip("(").startswith("+") or digits.startswith("00")
    try:
        if international:
            num = phonenumbers.parse("+" + digits.lstrip("0"), None)
        else:
            num = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        print("x")
        continue
    if not phonenumbers.is_possible_number(num):
        print("x")
        continue
    print(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)[1:])

"""English, for a shop in Kyiv: "1 December 2026, 20:33", short "2026-12-01 20:33".

The 24-hour clock, as the shop and its carriers work (Django's en default is "Dec. 1, 2026,
8:33 p.m."); day before month, and an unambiguous ISO short date for readers on either side of
the Atlantic. Numbers keep English separators (1,399.00).
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as in Ukraine

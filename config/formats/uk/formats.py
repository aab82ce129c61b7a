"""Ukrainian: "1 грудня 2026 р., 20:33", short "01.12.2026 20:33"; 1 399,00 with U+202F.

Django's own uk formats pad the day ("01 грудня") and put no comma before the time; Ukrainian
writing (and every Ukrainian shop's order page) says "1 грудня 2026 р., 20:33". E is the month
in the genitive (грудня), which a date with a day needs.
"""

DATE_FORMAT = "j E Y р."
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y р., H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = ","
# The narrow no-break space, as in amounts (core.money explains the choice); Django's uk has U+00A0.
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3

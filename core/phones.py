"""Phone numbers for people to read, the way Ukrainians write them: +380 67 123 45 67."""

import phonenumbers

# The subscriber part after the operator or city code, grouped as Ukrainians say it aloud.
# libphonenumber's own international format writes "+380 67 123 4567"; Ukrainian shops,
# operators and Nova Poshta write the last seven digits as 3-2-2.
_SUBSCRIBER_GROUPS = {7: (3, 2, 2), 6: (2, 2, 2), 5: (1, 2, 2)}


def format_phone(value: str) -> str:
    """'+380671234567' -> '+380 67 123 45 67'; a foreign number in its international format;
    anything that is not a phone number comes back as it was (never an error on a page)."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "UA")
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    if number.country_code == 380:
        national = phonenumbers.national_significant_number(number)
        code_length = phonenumbers.length_of_national_destination_code(number)
        subscriber = national[code_length:]
        groups = _SUBSCRIBER_GROUPS.get(len(subscriber))
        if code_length and groups:
            parts, start = [], 0
            for size in groups:
                parts.append(subscriber[start : start + size])
                start += size
            return f"+380 {national[:code_length]} {' '.join(parts)}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

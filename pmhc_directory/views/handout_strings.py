"""Page text of the printable handout, in English and Spanish.

Only the page's own words are translated. Service names, descriptions and addresses stay as the
provider published them. Hours come from the hours engine in English; ``translate_hours`` turns
its few fixed words into Spanish and leaves anything else as it is.
"""

from __future__ import annotations

import re

LANGUAGES = ("en", "es")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Places that can help",
        "intro": "These places were chosen for you. Call before you go if you can.",
        "phone": "Phone",
        "address": "Address",
        "hours": "Hours",
        "no_hours": "Hours not listed. Call before going.",
        "no_address": "No street address listed.",
        "qr_hint": "Scan with a phone camera to save the name, phone and address.",
        "qr_alt": "QR code with the name, phone and address of",
        "status_warning": "This listing is marked as not active. Call first.",
        "alert": "Notice from the service",
        "crisis_heading": "In a crisis, day or night",
        "crisis_988": "Call or text 988 (Suicide & Crisis Lifeline). For Spanish, press 2, "
        "or text AYUDA to 988.",
        "crisis_veterans": "Veterans: call 988 and press 1, or text 838255.",
        "crisis_911": "In danger now: call 911.",
        "print": "Print",
        "other_language": "En español",
        "new_search": "New search",
        "back_hint": "Use your browser's back button to return to the results.",
        "missing": "Some chosen listings were not found and are left out.",
        "checked": "Information as listed in the directory on",
    },
    "es": {
        "title": "Lugares que pueden ayudar",
        "intro": "Estos lugares fueron elegidos para usted. Si puede, llame antes de ir.",
        "phone": "Teléfono",
        "address": "Dirección",
        "hours": "Horario",
        "no_hours": "Horario no publicado. Llame antes de ir.",
        "no_address": "No hay dirección publicada.",
        "qr_hint": "Escanee con la cámara del teléfono para guardar el nombre, el teléfono y "
        "la dirección.",
        "qr_alt": "Código QR con el nombre, el teléfono y la dirección de",
        "status_warning": "Este servicio figura como no activo. Llame primero.",
        "alert": "Aviso del servicio",
        "crisis_heading": "En una crisis, de día o de noche",
        "crisis_988": "Llame o envíe un mensaje de texto al 988 (Línea de Prevención del "
        "Suicidio y Crisis). Para español, marque 2, o envíe AYUDA al 988.",
        "crisis_veterans": "Veteranos: llame al 988 y marque 1, o envíe un texto al 838255.",
        "crisis_911": "En peligro inmediato: llame al 911.",
        "print": "Imprimir",
        "other_language": "In English",
        "new_search": "Nueva búsqueda",
        "back_hint": "Use el botón de regreso del navegador para volver a los resultados.",
        "missing": "Algunos servicios elegidos no se encontraron y no aparecen.",
        "checked": "Información según el directorio el",
    },
}

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAYS = rf"(?:Every day|{_DAY}(?:-{_DAY})?(?:, {_DAY}(?:-{_DAY})?)*)"
_TIME = r"\d{1,2}:\d{2} [AP]M"
_WINDOW = rf"(?:24 hours|{_TIME}-(?:{_TIME}|midnight)(?: \(next day\))?)"
_DATE = r"\d{4}-\d{2}-\d{2}"
# Only lines the hours engine writes in these fixed shapes are translated; anything else (dated
# patterns, notes the provider wrote) is shown as published.
_WEEKLY_LINE = re.compile(rf"^{_DAYS} {_WINDOW}$")
_CLOSED_LINE = re.compile(rf"^Closed {_DATE}(?: to {_DATE})?$")
_WORDS = {
    "Every day": "Todos los días",
    "24 hours": "24 horas",
    "(next day)": "(día siguiente)",
    "midnight": "medianoche",
    "Closed": "Cerrado",
    "to": "al",
    "Mon": "lun",
    "Tue": "mar",
    "Wed": "mié",
    "Thu": "jue",
    "Fri": "vie",
    "Sat": "sáb",
    "Sun": "dom",
}
_WORD_RE = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in _WORDS))


def strings_for(lang: str) -> dict[str, str]:
    """The page text in ``lang`` (English for anything but ``es``)."""
    return STRINGS.get(lang, STRINGS["en"])


def translate_hours(line: str, lang: str) -> str:
    """An hours line in ``lang``: weekly hours and closures are translated, other lines kept."""
    if lang != "es":
        return line
    if line == "Open 24/7":
        return "Abierto las 24 horas, todos los días"
    if _WEEKLY_LINE.match(line) or _CLOSED_LINE.match(line):
        return _WORD_RE.sub(lambda m: _WORDS[m.group(0)], line)
    return line

"""National crisis lines that ship with the app (spec/product.md 3.1; reference/domain.md 8).

Only numbers verified in reference/domain.md are listed. The 988 press-3 option (LGBTQ+ youth)
ended on 2025-07-17 and must never be listed. The lines are written as HSDS 3.1 services and go
through the normal importer, then are marked national: shown with every lookup, tied to no place.
Ids are uuid5 names, so ``init-db`` can run again and only refresh them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import Service
from ..taxonomy import vocabulary

# The date these facts were last checked against their sources.
VERIFIED_ON = "2026-11-26"
_NAMESPACE = uuid.UUID("3f0d8c52-8a7e-4bb0-9d51-6f0f3b8c9e21")


def _id(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, key))


ORGANIZATION_ID = _id("organization:national-lines")

# (key, name, description, phones[(number, type, description)], urls, types, attributes,
#  audience populations, languages, payment)
LINES: list[dict[str, Any]] = [
    {
        "key": "988",
        "name": "988 Suicide & Crisis Lifeline",
        "description": (
            "Call or text 988, or chat at 988lifeline.org, 24 hours a day. Calls are answered "
            "by the nearest crisis center. On a call: press 1 for the Veterans Crisis Line, "
            "press 2 for Spanish."
        ),
        "phones": [
            ("988", "voice", "Call 988. Press 1: Veterans Crisis Line. Press 2: Spanish."),
            ("988", "text", "Text 988 (Spanish: text AYUDA to 988)."),
        ],
        "url": "https://988lifeline.org",
        "types": ["crisis-line"],
        "languages": [("en", "English"), ("es", "Spanish")],
        "audience": [],
        "payment": ["free"],
    },
    {
        "key": "veterans-crisis-line",
        "name": "Veterans Crisis Line",
        "description": (
            "For veterans, service members and their families: dial 988 then press 1, "
            "text 838255, or chat at VeteransCrisisLine.net."
        ),
        "phones": [
            ("988", "voice", "Dial 988, then press 1."),
            ("838255", "text", "Text 838255."),
        ],
        "url": "https://www.veteranscrisisline.net",
        "types": ["crisis-line"],
        "languages": [("en", "English")],
        "audience": ["veterans"],
        "payment": ["free"],
    },
    {
        "key": "samhsa-helpline",
        "name": "SAMHSA National Helpline",
        "description": (
            "Free, confidential treatment referral and information about mental health and "
            "substance use, 24 hours a day, 365 days a year, in English and Spanish. Call "
            "1-800-662-HELP (4357); TTY 1-800-487-4889; text your ZIP code to 435748 (HELP4U)."
        ),
        "phones": [
            ("1-800-662-4357", "voice", "1-800-662-HELP"),
            ("1-800-487-4889", "textphone", "TTY"),
            ("435748", "text", "Text your ZIP code to 435748 (HELP4U)."),
        ],
        "url": "https://www.samhsa.gov/find-help/national-helpline",
        "types": ["information-referral"],
        "languages": [("en", "English"), ("es", "Spanish")],
        "audience": [],
        "payment": ["free"],
    },
    {
        "key": "disaster-distress-helpline",
        "name": "Disaster Distress Helpline",
        "description": "Crisis counseling for people in distress after a disaster: 1-800-985-5990.",
        "phones": [("1-800-985-5990", "voice", None)],
        "url": None,
        "types": ["crisis-line"],
        "languages": [],
        "audience": [],
        "payment": ["free"],
    },
    {
        "key": "crisis-text-line",
        "name": "Crisis Text Line",
        "description": "Text HOME to 741741 to reach a volunteer crisis counselor, 24/7.",
        "phones": [("741741", "text", "Text HOME to 741741.")],
        "url": None,
        "types": ["crisis-line"],
        "languages": [("en", "English")],
        "audience": [],
        "payment": ["free"],
    },
    {
        "key": "911",
        "name": "911 Emergency",
        "description": "Immediate danger to life or a medical emergency: call 911.",
        "phones": [("911", "voice", "Emergencies only.")],
        "url": None,
        "types": [],
        "languages": [],
        "audience": [],
        "payment": [],
    },
]


def _attribute(service_id: str, taxonomy: str, code: str, link_type: str) -> dict[str, Any]:
    vocab = vocabulary()
    term = vocab.term(taxonomy, code)
    return {
        "id": _id(f"attribute:{service_id}:{taxonomy}:{code}:{link_type}"),
        "link_id": service_id,
        "link_entity": "service",
        "link_type": link_type,
        "taxonomy_term_id": term.id,
        "taxonomy_term": {
            "id": term.id,
            "code": term.code,
            "name": term.name,
            "description": term.description,
            "taxonomy": taxonomy,
            "taxonomy_id": vocab.taxonomies[taxonomy].id,
        },
    }


def _always(service_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": _id(f"schedule:{service_id}"),
            "service_id": service_id,
            "freq": "WEEKLY",
            "byday": "MO,TU,WE,TH,FR,SA,SU",
            "opens_at": "00:00",
            "closes_at": "23:59",
            "description": "24 hours a day, 7 days a week",
        }
    ]


def national_line_records() -> list[dict[str, Any]]:
    """The national lines as compiled HSDS 3.1 service objects."""
    organization = {
        "id": ORGANIZATION_ID,
        "name": "National crisis lines",
        "description": "Free national crisis and referral lines, available from anywhere.",
    }
    records = []
    for line in LINES:
        service_id = _id(f"service:{line['key']}")
        attributes = [
            _attribute(service_id, "service-type", t, "service_type") for t in line["types"]
        ]
        attributes.append(_attribute(service_id, "attribute", "open-24-7", "diversion"))
        attributes += [
            _attribute(service_id, "population", p, "audience") for p in line["audience"]
        ]
        attributes += [_attribute(service_id, "payment", p, "payment") for p in line["payment"]]
        record: dict[str, Any] = {
            "id": service_id,
            "organization_id": ORGANIZATION_ID,
            "organization": organization,
            "name": line["name"],
            "description": line["description"],
            "status": "active",
            "assured_date": VERIFIED_ON,
            "phones": [
                {
                    "id": _id(f"phone:{service_id}:{position}"),
                    "service_id": service_id,
                    "number": number,
                    "type": kind,
                    **({"description": note} if note else {}),
                }
                for position, (number, kind, note) in enumerate(line["phones"])
            ],
            "schedules": _always(service_id),
            "languages": [
                {
                    "id": _id(f"language:{service_id}:{code}"),
                    "service_id": service_id,
                    "code": code,
                    "name": name,
                }
                for code, name in line["languages"]
            ],
            "attributes": attributes,
        }
        if line["url"]:
            record["url"] = line["url"]
        records.append(record)
    return records


def load_national_lines(session: Session) -> int:
    """Create or refresh the national lines and mark them national. Returns how many."""
    from .imports import import_services

    records = national_line_records()
    import_services(session, records, source="init-db")
    ids = [r["id"] for r in records]
    session.execute(
        update(Service).where(Service.id.in_(ids)).values(is_national=True),
        execution_options={"synchronize_session": "fetch"},
    )
    session.flush()
    return len(records)

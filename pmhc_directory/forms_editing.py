"""Forms of the coordinators' editing pages (Flask-WTF, CSRF on every one).

The forms only carry and shape the values; the rules (what is required, ranges, the hours
engine's checks) live in ``services.editing`` so scripts and pages refuse the same things. Its
``EditError`` messages are put back on these fields by name (``apply_errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .forms import SelectChoice, choices
from .models import LOCATION_TYPES, SERVICE_STATUSES
from .services.editing import (
    CAPACITY_UNITS,
    OPEN_24_7,
    PHONE_TYPES,
    WEEKDAYS,
)
from .taxonomy import ATTRIBUTE, PAYMENT, POPULATION, SERVICE_TYPE, vocabulary

BLANK_WINDOWS = 4
BLANK_CLOSURES = 2
BLANK_PHONES = 2
DAY_LABELS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


class CheckboxesField(SelectMultipleField):
    """Several checkboxes sharing one name; unknown values are left to the service to refuse."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:  # the service layer names unknown codes
        pass


def _choices(taxonomy: str, exclude: tuple[str, ...] = ()) -> list[SelectChoice]:
    vocab = vocabulary()
    return choices(
        (t.code, t.name) for t in vocab.terms if t.taxonomy == taxonomy and t.code not in exclude
    )


class VersionedForm(FlaskForm):
    """Every edit form carries the version of the record it was built from."""

    version = HiddenField()


def apply_errors(form: Any, errors: Mapping[str, list[str]]) -> None:
    """Put service-layer messages beside the fields they name (``windows-1-opens_at``)."""
    fields = {f.name: f for f in _walk(form)}
    for name, messages in errors.items():
        target = fields.get(name)
        if target is None:
            form.form_errors.extend(messages)
            continue
        target.errors = [*list(target.errors or []), *messages]


def _walk(form: Any) -> list[Any]:
    result = []
    for f in form:
        result.append(f)
        if isinstance(f, FieldList):
            for entry in f:
                result.append(entry)
                if isinstance(entry, FormField):
                    result.extend(_walk(entry.form))
    return result


# Services --------------------------------------------------------------------------------------


class ServiceForm(VersionedForm):
    name = StringField("Name")
    alternate_name = StringField("Alternate name")
    description = TextAreaField("Description")
    status = SelectField(
        "Status",
        choices=choices((s, s.capitalize()) for s in SERVICE_STATUSES),
        validate_choice=False,
    )
    alert = TextAreaField("Alert shown at the top of the listing")
    url = StringField("Web address")
    email = StringField("Email")
    service_types = CheckboxesField("Service types (at least one; the first is the main type)")
    diversion = CheckboxesField("Facts for officers")
    minimum_age = StringField("Minimum age")
    maximum_age = StringField("Maximum age")
    gender = RadioField(
        "Gender",
        choices=choices([("", "No restriction"), ("women", "Women only"), ("men", "Men only")]),
        default="",
        validate_choice=False,
    )
    eligibility = CheckboxesField("Only for (people outside these groups are turned away)")
    audience = CheckboxesField("Focuses on (others are still welcome)")
    eligibility_description = TextAreaField("Other eligibility rules")
    payment = CheckboxesField("Payment accepted")
    languages = StringField("Languages (ISO codes, comma separated)")
    interpretation_services = TextAreaField("Interpretation for other languages")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service_types.choices = _choices(SERVICE_TYPE)
        self.diversion.choices = _choices(ATTRIBUTE, exclude=(OPEN_24_7,))
        self.eligibility.choices = _choices(POPULATION, exclude=("women", "men"))
        self.audience.choices = _choices(POPULATION)
        self.payment.choices = _choices(PAYMENT)

    def data_for_service(self) -> dict[str, Any]:
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "version")}
        return data


class NewServiceForm(FlaskForm):
    organization_id = SelectField("Organization", validate_choice=False)
    name = StringField("Name")
    status = SelectField(
        "Status",
        choices=choices((s, s.capitalize()) for s in SERVICE_STATUSES),
        default="active",
        validate_choice=False,
    )
    service_types = CheckboxesField("Service types (at least one)")

    def __init__(self, *args: Any, organizations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id.choices = choices([("", "Choose an organization"), *organizations])
        self.service_types.choices = _choices(SERVICE_TYPE)


# Hours -----------------------------------------------------------------------------------------


class WindowForm(Form):
    days = CheckboxesField("Days", choices=choices(DAY_LABELS.items()))
    opens_at = StringField("Opens")
    closes_at = StringField("Closes")
    valid_from = StringField("From date")
    valid_to = StringField("To date")
    description = StringField("Note")


class ClosureForm(Form):
    valid_from = StringField("First day closed")
    valid_to = StringField("Last day closed")
    description = StringField("Reason")


class HoursForm(VersionedForm):
    always_open = BooleanField("Open 24 hours, 7 days (24/7)")
    windows = FieldList(FormField(WindowForm), min_entries=BLANK_WINDOWS)
    closures = FieldList(FormField(ClosureForm), min_entries=BLANK_CLOSURES)


# Organizations and locations -------------------------------------------------------------------


class PhoneForm(Form):
    number = StringField("Number")
    extension = StringField("Ext.")
    type = SelectField(
        "Type", choices=choices((t, t.capitalize()) for t in PHONE_TYPES), validate_choice=False
    )
    description = StringField("Description")
    remove = BooleanField("Remove")


class OrganizationForm(VersionedForm):
    name = StringField("Name")
    alternate_name = StringField("Alternate name")
    description = TextAreaField("Description")
    email = StringField("Email")
    website = StringField("Web address")
    phones = FieldList(FormField(PhoneForm))


class LocationForm(VersionedForm):
    name = StringField("Name")
    alternate_name = StringField("Alternate name")
    location_type = SelectField(
        "Type", choices=choices((t, t.capitalize()) for t in LOCATION_TYPES), validate_choice=False
    )
    description = TextAreaField("Description")
    transportation = TextAreaField("Getting there")
    address_1 = StringField("Street address")
    address_2 = StringField("Address line 2")
    city = StringField("City")
    state_province = StringField("State")
    postal_code = StringField("ZIP code")
    country = StringField("Country (two letters)")
    latitude = StringField("Latitude (-90 to 90)")
    longitude = StringField("Longitude (-180 to 180)")
    phones = FieldList(FormField(PhoneForm))


# Capacity and areas ----------------------------------------------------------------------------


class CapacityForm(VersionedForm):
    unit = SelectField(
        "Unit", choices=choices((u, u.capitalize()) for u in CAPACITY_UNITS), validate_choice=False
    )
    available = StringField("Available now")
    maximum = StringField("Maximum")
    description = StringField("Note")


class AreasForm(VersionedForm):
    geojson = FileField("GeoJSON file (Polygon, MultiPolygon, Feature or FeatureCollection)")
    areas = CheckboxesField("Analysis areas")
    name = StringField("Name of the area")
    clear = BooleanField("Remove the service area (the service then serves everywhere)")

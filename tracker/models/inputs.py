"""The input models (`XCreate`): each validates one row of a bundle file, a form or a command, and words its errors."""

import datetime as dt
import re
from typing import Annotated, Any, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tracker.enums import (
    DEFAULT_CONFIDENTIALITY,
    DEFAULT_MODALITY,
    DEFAULT_SECTOR,
    Confidentiality,
    Consent,
    FindingKind,
    MeetingKind,
    MilestoneKind,
    Modality,
    Role,
    Sector,
    Severity,
    Status,
    TAStatus,
    VisitKind,
)

# ---------------------------------------------------------------- input validation


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}
_RESOLUTION = re.compile(r"^(?:S/RES/)?\s*(\d{3,4})\s*(?:\((\d{4})\))?$", re.IGNORECASE)


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("use true or false (yes/no and 1/0 are accepted too)")


# The one range of dates that imports accept and the forms' date pickers offer.
EARLIEST_DATE, LATEST_DATE = dt.date(2001, 1, 1), dt.date(2100, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(value: Any) -> dt.date | None:
    if value is None:
        return value
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
    else:
        text = str(value).strip()
        if not text:
            return None
        # fromisoformat alone also reads week dates (2023-W21-1) and compact forms (20230522).
        if not _ISO_DAY.fullmatch(text):
            return _bad_date(text)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return _bad_date(text)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(
            f"{day.isoformat()} is outside {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}; correct the year"
        )
    return day


def _bad_date(text: str) -> NoReturn:
    raise ValueError(f"'{text}' is not a date; write it as YYYY-MM-DD")


def parse_resolution(text: str) -> int:
    match = _RESOLUTION.match(text.strip())
    if not match:
        raise ValueError(f"'{text.strip()}' is not a resolution; write 1373, 1373 (2001) or S/RES/1373 (2001)")
    return int(match.group(1))


def _split_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _parse_resolutions(value: Any) -> list[int]:
    return sorted({parse_resolution(str(v)) for v in _split_list(value)})


def _parse_codes(value: Any) -> list[str]:
    return sorted({v.upper() for v in _split_list(value)})


def _text(value):
    return "" if value is None else str(value).strip()


def _parse_scope(value) -> str:
    """A visit's scope as stored: its area codes upper-cased, once each, sorted, `;`-separated."""
    return ";".join(_parse_codes(value))


def scope_codes(scope: str | None) -> list[str]:
    """The area codes of a stored scope; empty for every area."""
    return [code for code in (scope or "").split(";") if code]


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Text_ = Annotated[str, BeforeValidator(_text)]
Bool = Annotated[bool, BeforeValidator(_parse_bool)]
OptionalDate = Annotated[dt.date | None, BeforeValidator(_parse_date)]
RequiredDate = Annotated[dt.date, BeforeValidator(_parse_date)]
Resolutions = Annotated[list[int], BeforeValidator(_parse_resolutions)]
Codes = Annotated[list[str], BeforeValidator(_parse_codes)]
# A meeting's sectors, `;`-separated; blank: the default sector. Each is checked against the enumeration.
Sectors = Annotated[
    list[Sector],
    BeforeValidator(lambda v: _split_list(v) or [DEFAULT_SECTOR.value]),
    AfterValidator(lambda sectors: sorted(set(sectors))),
    PlainSerializer(lambda sectors: [Sector(sector).value for sector in sectors]),
]
Level = Annotated[Confidentiality, BeforeValidator(lambda v: _blank_to_none(v) or DEFAULT_CONFIDENTIALITY)]


def _checked(
    *,
    pattern: str | None = None,
    rule: str = "",
    upper: bool = False,
    min_length: int = 1,
    max_length: int | None = None,
    optional: bool = False,
) -> BeforeValidator:
    """A text check whose every failure reads as a sentence a spreadsheet user can act on."""

    def check(value):
        text = _text(value).upper() if upper else _text(value)
        if optional and not text:
            return None
        if not text:
            raise ValueError("is empty; fill it in")
        if len(text) < min_length:
            raise ValueError(f"is too short; use at least {min_length} characters")
        if max_length and len(text) > max_length:
            raise ValueError(f"is {len(text)} characters long; shorten it to at most {max_length}")
        if pattern and not re.fullmatch(pattern, text):
            raise ValueError(f"'{text}' is not valid; {rule}")
        return text

    return BeforeValidator(check)


KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]*$"
_KEY_RULE = "use letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. KOR-2023-F01)"
Key = Annotated[str, _checked(pattern=KEY_PATTERN, rule=_KEY_RULE, max_length=64)]
OptionalKey = Annotated[str | None, _checked(pattern=KEY_PATTERN, rule=_KEY_RULE, max_length=64, optional=True)]
RequiredText = Annotated[str, _checked()]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


AREA_CODE = r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)?$"
_AREA_RULE = "write a code such as LEG or BM.AVIATION (capitals, digits and _, a dot before the sub-area)"
AreaCode = Annotated[str, _checked(pattern=AREA_CODE, rule=_AREA_RULE, upper=True, max_length=64)]


class AreaCreate(_Input):
    code: AreaCode
    name: RequiredText
    parent: Annotated[
        str | None, _checked(pattern=AREA_CODE, rule=_AREA_RULE, upper=True, max_length=64, optional=True)
    ] = None
    cross_cutting: Bool = False
    sort_order: Annotated[int, BeforeValidator(lambda v: 0 if _blank_to_none(v) is None else v)] = 0

    @field_validator("sort_order")
    @classmethod
    def _fits_the_column(cls, value: int) -> int:
        # Both databases store it as a 32-bit integer.
        if not -(2**31) <= value < 2**31:
            raise ValueError("use a whole number between -2147483648 and 2147483647")
        return value

    @model_validator(mode="after")
    def _parent_matches_code(self):
        if self.parent == self.code:
            raise ValueError(f"area {self.code} cannot be its own parent; leave parent empty for a top-level area")
        if "." in self.code and self.parent != self.code.split(".")[0]:
            raise ValueError(f"sub-area {self.code} must have parent {self.code.split('.')[0]}")
        return self


class VisitCreate(_Input):
    visit_id: Key
    state: Annotated[str, _checked(pattern=r"[A-Z]{3}", rule="write the State's ISO3 code, e.g. KOR", upper=True)]
    kind: VisitKind
    modality: Annotated[Modality, BeforeValidator(lambda v: _blank_to_none(v) or DEFAULT_MODALITY)] = Modality.in_person
    start_date: RequiredDate
    end_date: RequiredDate
    baseline_visit_id: OptionalKey = None
    scope: Annotated[str, BeforeValidator(_parse_scope)] = ""
    lead: Text_ = ""
    partners: Codes = []
    resolutions: Resolutions = []
    summary: Text_ = ""
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    consent: Annotated[Consent, BeforeValidator(lambda v: _blank_to_none(v) or Consent.none)] = Consent.none
    consent_date: OptionalDate = None
    withdrawn: OptionalText = None

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.end_date < self.start_date:
            raise ValueError("the end date is before the start date; swap them or correct one")
        if self.baseline_visit_id == self.visit_id:
            raise ValueError("a visit cannot be its own baseline; name the earlier visit")
        return self


UpperText = Annotated[str, _checked(upper=True)]
Title = Annotated[str, _checked(max_length=500)]
OptionalSeverity = Annotated[Severity | None, BeforeValidator(_blank_to_none)]


class FindingCreate(_Input):
    finding_id: Key
    visit_id: Key
    area: UpperText
    kind: FindingKind
    title: Title
    detail: Text_ = ""
    priority: Bool = False
    severity: OptionalSeverity = None
    resolutions: Resolutions = []
    source_ref: Text_ = ""
    continues: OptionalKey = None
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    withdrawn: OptionalText = None

    @model_validator(mode="after")
    def _not_self(self):
        if self.continues == self.finding_id:
            raise ValueError("a finding cannot continue itself; name the earlier finding")
        return self


class AssessmentCreate(_Input):
    finding_id: Key
    visit_id: Key
    status: Status
    evidence: Text_ = ""
    assessed_on: OptionalDate = None
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    withdrawn: OptionalText = None


class MeetingCreate(_Input):
    meeting_id: Key
    visit_id: Key
    date: OptionalDate = None
    kind: MeetingKind
    counterpart: Text_ = ""
    sector: Sectors = [DEFAULT_SECTOR]
    partners: Codes = []
    area: Annotated[str | None, BeforeValidator(lambda v: (_blank_to_none(v) or "").upper() or None)] = None
    notes: Text_ = ""
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    withdrawn: OptionalText = None


class MilestoneCreate(_Input):
    visit_id: Key
    milestone: MilestoneKind
    date: RequiredDate
    note: Text_ = ""
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    update_id: OptionalKey = None

    @model_validator(mode="after")
    def _update_on_a_response(self):
        if self.update_id and self.milestone != MilestoneKind.response_received:
            raise ValueError(
                f"only a response_received milestone names an update; leave update_id empty for {self.milestone.value}"
            )
        return self


StateCode = Annotated[str, _checked(pattern=r"[A-Z]{3}", rule="write the State's ISO3 code, e.g. KOR", upper=True)]


class UpdateCreate(_Input):
    update_id: Key
    state: StateCode
    received_on: RequiredDate
    reference: Text_ = ""
    summary: Text_ = ""
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    withdrawn: OptionalText = None


class UpdateItemCreate(_Input):
    finding_id: Key
    update_id: Key
    status: Status
    evidence: Text_ = ""
    confidentiality: Level = DEFAULT_CONFIDENTIALITY
    withdrawn: OptionalText = None


class StateCreate(_Input):
    iso3: StateCode
    name: RequiredText
    region: Text_ = ""


class ResolutionCreate(_Input):
    number: Annotated[int, BeforeValidator(lambda v: parse_resolution(str(v)) if isinstance(v, str) else v)]
    year: Annotated[int, BeforeValidator(lambda v: _blank_to_none(v))]
    title: RequiredText
    adopted_on: OptionalDate = None

    @model_validator(mode="after")
    def _year_of_adoption(self):
        if not 1946 <= self.year <= 2100:
            raise ValueError(f"{self.year} is not a year of the Security Council; write the year of adoption")
        if self.adopted_on and self.adopted_on.year != self.year:
            raise ValueError(
                f"adopted_on {self.adopted_on.isoformat()} is not in {self.year}; correct the year or the date"
            )
        return self


PartnerCode = Annotated[
    str,
    _checked(pattern=r"[A-Z][A-Z0-9_\-]*", rule="write a code in capitals such as UNODC", upper=True, max_length=32),
]


class PartnerCreate(_Input):
    code: PartnerCode
    name: RequiredText


class AreaResolutionCreate(_Input):
    area: AreaCode
    resolution: Annotated[int, BeforeValidator(lambda v: parse_resolution(str(v)) if isinstance(v, str) else v)]
    applies: Annotated[bool, BeforeValidator(lambda v: True if _blank_to_none(v) is None else _parse_bool(v))] = True


class TARecordCreate(_Input):
    finding_id: Key
    status: TAStatus
    providers: Codes = []
    addresses: OptionalKey = None
    updated_on: OptionalDate = None
    note: Text_ = ""
    confidentiality: Level = DEFAULT_CONFIDENTIALITY

    @model_validator(mode="after")
    def _not_self(self):
        if self.addresses == self.finding_id:
            raise ValueError("a TA need cannot address itself; name the shortfall or recommendation it answers")
        return self


class LinkDecisionCreate(_Input):
    finding_id: Key
    baseline_id: Key
    decided_by: Text_ = ""
    decided_on: OptionalDate = None
    note: Text_ = ""

    @model_validator(mode="after")
    def _not_self(self):
        if self.baseline_id == self.finding_id:
            raise ValueError("a finding cannot be compared with itself; name an earlier finding as baseline_id")
        return self


# zxcvbn's scale: 3 is "safely unguessable" for an online attacker facing throttled sign-ins.
MIN_PASSWORD_SCORE = 3
_GUESSABLE_WORDS = ("tracker", "cted", "ctc", "counter-terrorism", "committee", "follow-up")


class UserCreate(_Input):
    username: Annotated[
        str,
        _checked(
            pattern=r"[A-Za-z0-9._@\-]+", rule="use letters, digits, '.', '_', '@' and '-'", min_length=2, max_length=64
        ),
    ]
    password: Annotated[str, StringConstraints(min_length=10, max_length=256)]
    role: Role = Role.viewer
    clearance: Confidentiality = DEFAULT_CONFIDENTIALITY

    @field_validator("password")
    @classmethod
    def _not_trivial(cls, value: str, info: ValidationInfo) -> str:
        if len(set(value)) < 4:
            raise ValueError("the password is too simple; use at least four different characters")
        from zxcvbn import zxcvbn  # loaded only when a password is set

        # zxcvbn knows the common passwords, keyboard runs and dates; the name and the product are added.
        name = str(info.data.get("username") or "")
        verdict = zxcvbn(value[:100], user_inputs=[name, *re.split(r"[._@\-]", name), *_GUESSABLE_WORDS])
        if verdict["score"] < MIN_PASSWORD_SCORE:
            raise ValueError(
                "it is too easy to guess: a common password, a simple pattern or one made from the username; "
                "use a phrase of three or four unrelated words"
            )
        return value

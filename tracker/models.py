"""Tables, enumerations and the data models that validate what users write.

Table models hold what the database stores; `XCreate` models validate input (SQLModel table
models skip validation) and turn spreadsheet spellings into stored values.
"""

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, LargeBinary, Table, Text
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Field, SQLModel

from tracker.enums import (  # noqa: F401  (re-exported: the vocabulary of the tables)
    DEFAULT_CONFIDENTIALITY,
    DEFAULT_MODALITY,
    DEFAULT_SECTOR,
    STATUS_GROUP,
    STATUS_SCORE,
    TRACKABLE_KINDS,
    WITHDRAWABLE,
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
    StatusGroup,
    TAStatus,
    VisitKind,
)


def _check_in(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    values = ", ".join(f"'{v.value}'" for v in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name)


def _conf_check(table: str) -> CheckConstraint:
    return _check_in("confidentiality", Confidentiality, f"ck_{table}_confidentiality")


# A row may name one that comes later in the same import, so these are checked at commit.
def _deferred_key(target: str) -> ForeignKey:
    return ForeignKey(target, deferrable=True, initially="IMMEDIATE")


def _created_in(table: str):
    """The import event that created the row: its values are kept, compressed, in that one event
    rather than in one event per row. NULL when no event recorded the row's creation."""
    return Field(
        default=None, sa_column=Column(ForeignKey("audit_event.id", name=f"fk_{table}_created_in"), nullable=True)
    )


# ---------------------------------------------------------------- reference tables


class MemberState(SQLModel, table=True):
    __tablename__ = "member_state"
    iso3: str = Field(primary_key=True, max_length=3)
    name: str
    region: str


class ThematicArea(SQLModel, table=True):
    __tablename__ = "thematic_area"
    __table_args__ = (CheckConstraint("parent IS NULL OR parent <> code", name="ck_area_parent_not_self"),)
    code: str = Field(primary_key=True, max_length=64)
    name: str
    parent: str | None = Field(default=None, sa_column=Column(_deferred_key("thematic_area.code"), index=True))
    cross_cutting: bool = False
    sort_order: int = 0
    created_in: int | None = _created_in("thematic_area")


class Resolution(SQLModel, table=True):
    __tablename__ = "resolution"
    __table_args__ = (CheckConstraint("year BETWEEN 1946 AND 2100", name="ck_resolution_year"),)
    number: int = Field(primary_key=True)
    year: int
    title: str


class PartnerOrg(SQLModel, table=True):
    __tablename__ = "partner_org"
    code: str = Field(primary_key=True, max_length=32)
    name: str


# ---------------------------------------------------------------- assessment material


class Visit(SQLModel, table=True):
    __tablename__ = "visit"
    __table_args__ = (
        _check_in("kind", VisitKind, "ck_visit_kind"),
        _check_in("modality", Modality, "ck_visit_modality"),
        _conf_check("visit"),
        _check_in("consent", Consent, "ck_visit_consent"),
        CheckConstraint("end_date >= start_date", name="ck_visit_dates"),
        CheckConstraint(
            "baseline_visit_id IS NULL OR baseline_visit_id <> visit_id", name="ck_visit_baseline_not_self"
        ),
        Index("ix_visit_state_start", "state", "start_date"),
    )
    visit_id: str = Field(primary_key=True, max_length=64)
    state: str = Field(foreign_key="member_state.iso3")
    kind: str
    modality: str = DEFAULT_MODALITY.value
    start_date: dt.date
    end_date: dt.date
    baseline_visit_id: str | None = Field(default=None, sa_column=Column(_deferred_key("visit.visit_id"), index=True))
    lead: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    consent: str = Field(default=Consent.none.value, sa_column_kwargs={"server_default": Consent.none.value})
    consent_date: dt.date | None = None
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("visit")


class VisitPartner(SQLModel, table=True):
    __tablename__ = "visit_partner"
    visit_id: str = Field(sa_column=Column(ForeignKey("visit.visit_id", ondelete="CASCADE"), primary_key=True))
    partner: str = Field(foreign_key="partner_org.code", primary_key=True)


class VisitResolution(SQLModel, table=True):
    __tablename__ = "visit_resolution"
    visit_id: str = Field(sa_column=Column(ForeignKey("visit.visit_id", ondelete="CASCADE"), primary_key=True))
    resolution: int = Field(foreign_key="resolution.number", primary_key=True)


class Finding(SQLModel, table=True):
    __tablename__ = "finding"
    __table_args__ = (
        _check_in("kind", FindingKind, "ck_finding_kind"),
        CheckConstraint("severity IS NULL OR severity IN ('major', 'moderate', 'minor')", name="ck_finding_severity"),
        _conf_check("finding"),
        CheckConstraint("continues IS NULL OR continues <> finding_id", name="ck_finding_continues_not_self"),
        # The comparison groups a visit's findings by kind and area.
        Index("ix_finding_visit_kind_area", "visit_id", "kind", "area"),
    )
    finding_id: str = Field(primary_key=True, max_length=64)
    visit_id: str = Field(foreign_key="visit.visit_id")
    area: str = Field(foreign_key="thematic_area.code")
    kind: str
    title: str
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    priority: bool = False
    severity: str | None = None
    source_ref: str = ""
    continues: str | None = Field(default=None, sa_column=Column(_deferred_key("finding.finding_id"), index=True))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("finding")


class FindingResolution(SQLModel, table=True):
    __tablename__ = "finding_resolution"
    finding_id: str = Field(sa_column=Column(ForeignKey("finding.finding_id", ondelete="CASCADE"), primary_key=True))
    resolution: int = Field(foreign_key="resolution.number", primary_key=True)


class Assessment(SQLModel, table=True):
    __tablename__ = "assessment"
    __table_args__ = (
        _check_in("status", Status, "ck_assessment_status"),
        _conf_check("assessment"),
        # The comparison looks up every assessment made at one follow-up visit.
        Index("ix_assessment_visit_finding", "visit_id", "finding_id"),
    )
    finding_id: str = Field(foreign_key="finding.finding_id", primary_key=True)
    visit_id: str = Field(foreign_key="visit.visit_id", primary_key=True)
    status: str
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    assessed_on: dt.date | None = None
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("assessment")


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = (
        _check_in("kind", MeetingKind, "ck_meeting_kind"),
        _check_in("sector", Sector, "ck_meeting_sector"),
        _conf_check("meeting"),
    )
    meeting_id: str = Field(primary_key=True, max_length=64)
    visit_id: str = Field(foreign_key="visit.visit_id", index=True)
    date: dt.date | None = None
    kind: str
    counterpart: str = ""
    sector: str = DEFAULT_SECTOR.value
    area: str | None = Field(default=None, foreign_key="thematic_area.code")
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("meeting")


class Milestone(SQLModel, table=True):
    """A dated step of a visit's report after the visit (draft sent, observations received, ...)."""

    __tablename__ = "milestone"
    __table_args__ = (_check_in("milestone", MilestoneKind, "ck_milestone_kind"), _conf_check("milestone"))
    visit_id: str = Field(sa_column=Column(ForeignKey("visit.visit_id"), primary_key=True))
    milestone: str = Field(primary_key=True, max_length=32)
    date: dt.date
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    created_in: int | None = _created_in("milestone")


class TARecord(SQLModel, table=True):
    """The technical-assistance pipeline entry of one ta_need finding."""

    __tablename__ = "ta_record"
    __table_args__ = (_check_in("status", TAStatus, "ck_ta_record_status"), _conf_check("ta_record"))
    finding_id: str = Field(sa_column=Column(ForeignKey("finding.finding_id"), primary_key=True))
    status: str = TAStatus.identified.value
    addresses: str | None = Field(default=None, sa_column=Column(ForeignKey("finding.finding_id"), index=True))
    updated_on: dt.date | None = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    created_in: int | None = _created_in("ta_record")


class TAProvider(SQLModel, table=True):
    __tablename__ = "ta_provider"
    finding_id: str = Field(sa_column=Column(ForeignKey("ta_record.finding_id", ondelete="CASCADE"), primary_key=True))
    partner: str = Field(foreign_key="partner_org.code", primary_key=True)


class LinkDecision(SQLModel, table=True):
    """An analyst's answer that a finding does not restate an earlier one: never suggested again."""

    __tablename__ = "link_decision"
    __table_args__ = (CheckConstraint("baseline_id <> finding_id", name="ck_link_decision_not_self"),)
    finding_id: str = Field(sa_column=Column(ForeignKey("finding.finding_id", ondelete="CASCADE"), primary_key=True))
    baseline_id: str = Field(
        sa_column=Column(ForeignKey("finding.finding_id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    decided_by: str = ""
    decided_on: dt.date | None = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_in: int | None = _created_in("link_decision")


# ---------------------------------------------------------------- issued reports


class ReportSnapshot(SQLModel, table=True):
    """A report as it was issued to the Committee: what it counted, every item's status, the file itself.

    Never updated: `seal` is the SHA-256 of every other column, so a changed row is detected.
    """

    __tablename__ = "report_snapshot"
    __table_args__ = (
        _check_in("level", Confidentiality, "ck_report_snapshot_level"),
        Index("ix_report_snapshot_scope", "scope", "level"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str
    # `state:ISO3:FOLLOWUP` or `period:FROM..TO`.
    scope: str
    level: str
    format: str = Field(max_length=8)
    issued_by: str
    issued_at: dt.datetime = Field(index=True)
    # The §3 result of every follow-up in scope, and every reported item with its status, as JSON.
    results: str = Field(sa_column=Column(Text, nullable=False))
    items: str = Field(sa_column=Column(Text, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    seal: str = Field(max_length=64)


# ---------------------------------------------------------------- team server


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        _check_in("role", Role, "ck_user_role"),
        _check_in("clearance", Confidentiality, "ck_user_clearance"),
    )
    username: str = Field(primary_key=True, max_length=64)
    password_hash: str
    role: str = Role.viewer.value
    clearance: str = DEFAULT_CONFIDENTIALITY.value
    disabled: bool = False
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    created_at: dt.datetime
    last_sign_in: dt.datetime | None = None


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("action IN ('create', 'update', 'delete', 'import', 'login')", name="ck_audit_action"),
        Index("ix_audit_entity_key", "entity", "key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    username: str
    action: str
    entity: str
    key: str
    changes: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    # An import's created rows and their values, compressed (tracker.services.audit.created_rows).
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


# ---------------------------------------------------------------- input validation


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}
_RESOLUTION = re.compile(r"^(?:S/RES/)?\s*(\d{3,4})\s*(?:\((\d{4})\))?$", re.IGNORECASE)


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _parse_bool(value):
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


def _parse_date(value):
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


def _bad_date(text):
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


def _parse_resolutions(value):
    return sorted({parse_resolution(str(v)) for v in _split_list(value)})


def _parse_codes(value):
    return sorted({v.upper() for v in _split_list(value)})


def _text(value):
    return "" if value is None else str(value).strip()


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Text_ = Annotated[str, BeforeValidator(_text)]
Bool = Annotated[bool, BeforeValidator(_parse_bool)]
OptionalDate = Annotated[dt.date | None, BeforeValidator(_parse_date)]
RequiredDate = Annotated[dt.date, BeforeValidator(_parse_date)]
Resolutions = Annotated[list[int], BeforeValidator(_parse_resolutions)]
Codes = Annotated[list[str], BeforeValidator(_parse_codes)]
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


class FindingCreate(_Input):
    finding_id: Key
    visit_id: Key
    area: Annotated[str, _checked(upper=True)]
    kind: FindingKind
    title: Annotated[str, _checked(max_length=500)]
    detail: Text_ = ""
    priority: Bool = False
    severity: Annotated[Severity | None, BeforeValidator(_blank_to_none)] = None
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
    sector: Annotated[Sector, BeforeValidator(lambda v: _blank_to_none(v) or DEFAULT_SECTOR)] = DEFAULT_SECTOR
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


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model: SQLModel sets `__table__` at runtime but does not declare it."""
    table = sa_inspect(model).local_table
    assert isinstance(table, Table)
    return table


# The rows that are withdrawn rather than deleted: the tables with a `withdrawn` column.

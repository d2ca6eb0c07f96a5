"""The tables (SQLModel, table=True): reference data, the assessment material, issued reports and the team server."""

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    LargeBinary,
    Table,
    Text,
    case,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from tracker.enums import (
    DEFAULT_CONFIDENTIALITY,
    DEFAULT_MODALITY,
    Confidentiality,
    Consent,
    FindingKind,
    MeetingKind,
    MilestoneKind,
    Modality,
    Role,
    Sector,
    Status,
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
    # True for the 193 seeded UN Member States; an entity the team adds (an observer State, a
    # territory, a training entity) is not one.
    member_state: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_in: int | None = _created_in("member_state")


NOT_A_MEMBER_STATE = " (not a UN Member State)"


def listed_state_name() -> ColumnElement[str]:
    """A State's name as every list shows it: an entity outside the 193 says that it is not a Member State."""
    table = sa_inspect(MemberState).local_table
    return case((table.c.member_state.is_(False), table.c.name + NOT_A_MEMBER_STATE), else_=table.c.name)


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
    adopted_on: dt.date | None = None
    created_in: int | None = _created_in("resolution")


class PartnerOrg(SQLModel, table=True):
    __tablename__ = "partner_org"
    code: str = Field(primary_key=True, max_length=32)
    name: str
    created_in: int | None = _created_in("partner_org")


class AreaResolution(SQLModel, table=True):
    """That a top-level area concerns a resolution (docs/dossier.md): the team's map behind the assessment debt.

    A pair is switched off (`applies` false) rather than deleted, so that seeding never brings it back.
    """

    __tablename__ = "area_resolution"
    area: str = Field(sa_column=Column(ForeignKey("thematic_area.code"), primary_key=True))
    resolution: int = Field(sa_column=Column(ForeignKey("resolution.number"), primary_key=True))
    applies: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    created_in: int | None = _created_in("area_resolution")


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
    # The top-level areas the visit covered, codes `;`-separated; blank: every area (docs/committee-figures.md).
    scope: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
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
        _conf_check("meeting"),
    )
    meeting_id: str = Field(primary_key=True, max_length=64)
    visit_id: str = Field(foreign_key="visit.visit_id", index=True)
    date: dt.date | None = None
    kind: str
    counterpart: str = ""
    area: str | None = Field(default=None, foreign_key="thematic_area.code")
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("meeting")


class MeetingSector(SQLModel, table=True):
    """A sector a meeting's counterparts came from: a roundtable often brings several together."""

    __tablename__ = "meeting_sector"
    __table_args__ = (_check_in("sector", Sector, "ck_meeting_sector_sector"),)
    meeting_id: str = Field(sa_column=Column(ForeignKey("meeting.meeting_id", ondelete="CASCADE"), primary_key=True))
    sector: str = Field(primary_key=True, max_length=32)


class MeetingPartner(SQLModel, table=True):
    """A partner organisation that took part in a meeting."""

    __tablename__ = "meeting_partner"
    meeting_id: str = Field(sa_column=Column(ForeignKey("meeting.meeting_id", ondelete="CASCADE"), primary_key=True))
    partner: str = Field(foreign_key="partner_org.code", primary_key=True, index=True)


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
    # The State's written update a `response_received` milestone records.
    update_id: str | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("state_update.update_id", name="fk_milestone_update_id"),
            nullable=True,
            index=True,
        ),
    )


class Update(SQLModel, table=True):
    """A State's written update between visits (its six-month response, a letter): never a visit."""

    __tablename__ = "state_update"
    __table_args__ = (_conf_check("state_update"), Index("ix_state_update_state_received", "state", "received_on"))
    update_id: str = Field(primary_key=True, max_length=64)
    state: str = Field(foreign_key="member_state.iso3")
    received_on: dt.date
    reference: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("state_update")


class UpdateItem(SQLModel, table=True):
    """What a written update says of one item: a self-reported status, never counted as verified."""

    __tablename__ = "update_item"
    __table_args__ = (
        _check_in("status", Status, "ck_update_item_status"),
        _conf_check("update_item"),
        Index("ix_update_item_update", "update_id"),
    )
    finding_id: str = Field(sa_column=Column(_deferred_key("finding.finding_id"), primary_key=True))
    update_id: str = Field(sa_column=Column(_deferred_key("state_update.update_id"), primary_key=True))
    status: str
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    confidentiality: str = DEFAULT_CONFIDENTIALITY.value
    withdrawn: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_in: int | None = _created_in("update_item")


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


# ---------------------------------------------------------------- the kept cross-State index


class RegisterChange(SQLModel, table=True):
    """A write to a State's visits, findings, assessments, meetings or milestones, left by the
    database's triggers (migration 0017), so that no write path can miss it: the kept index scores
    of the State are worked out again when one is newer than them. `stamp` orders the writes: the
    row's id on SQLite, where writes take turns, and the writing transaction's id on PostgreSQL."""

    __tablename__ = "register_change"
    # On SQLite the id is the stamp (AUTOINCREMENT never gives an id twice, even once rows are dropped),
    # read in id order; the index, for PostgreSQL's stamps, costs SQLite's triggers nothing.
    __table_args__ = (
        Index(
            "ix_register_change_state_stamp",
            "state",
            "stamp",
            sqlite_where=text("stamp IS NOT NULL"),
            postgresql_where=text("stamp IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=3)
    stamp: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class RegisterKept(SQLModel, table=True):
    """The index scores of a State's follow-ups are kept at a level as they were at `horizon`: every
    write stamped at or after it was possibly not counted."""

    __tablename__ = "register_kept"
    level: str = Field(primary_key=True, max_length=32)
    state: str = Field(primary_key=True, max_length=3)
    horizon: int = Field(sa_column=Column(BigInteger, nullable=False))


class RegisterFloor(SQLModel, table=True):
    """Writes of the State stamped before `floor` are forgotten: scores worked out from an older
    reading are not kept."""

    __tablename__ = "register_floor"
    state: str = Field(primary_key=True, max_length=3)
    floor: int = Field(sa_column=Column(BigInteger, nullable=False))


class RegisterScore(SQLModel, table=True):
    """A follow-up's items under follow-up in one top-level area at a level, and the sum of their scores."""

    __tablename__ = "register_score"
    __table_args__ = (Index("ix_register_score_level_state", "level", "state"),)
    level: str = Field(primary_key=True, max_length=32)
    followup: str = Field(primary_key=True, max_length=64)
    area: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=3)
    items: int
    scored_items: int
    score_sum: int


# ---------------------------------------------------------------- issued reports


class ReportSnapshot(SQLModel, table=True):
    """A report as it was issued to the Committee: what it counted, every item's status, the file itself.

    Never updated: `seal` is an HMAC-SHA256 of every other column under a key kept outside the
    database (services/reports/seal.py), so a changed row is detected.
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
    # The comparison of every follow-up in scope, and every reported item with its status, as JSON.
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


class SignInSession(SQLModel, table=True):
    """A signed-in browser: its cookie holds the token whose SHA-256 is the key, never the token itself."""

    __tablename__ = "sign_in_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(
        sa_column=Column(ForeignKey("app_user.username", ondelete="CASCADE"), nullable=False, index=True)
    )
    # The password the session was opened with (users.credential_stamp): a new one ends it.
    credential: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime
    last_seen: dt.datetime
    # Kept once ended, so that a browser still holding its identity cannot open it again.
    ended_at: dt.datetime | None = None


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
    # An import's created rows and their values, compressed (tracker.services.people.audit.created_rows).
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model: SQLModel sets `__table__` at runtime but does not declare it."""
    table = sa_inspect(model).local_table
    assert isinstance(table, Table)
    return table


# The rows that are withdrawn rather than deleted: the tables with a `withdrawn` column.

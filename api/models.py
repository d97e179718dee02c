"""The API's database tables as SQLAlchemy 2 typed ORM classes (one module, every entity).

Conventions: integer surrogate keys, districts referenced by ``district_id``, times stored
as timezone-aware UTC (``UTCDateTime``), free-form documents as JSON. The audit log is
append-only (ORM guard here, database triggers in the migration).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a timezone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable Alembic migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class: plain INSERT/UPDATE statements on it skip the ORM's
    unit of work where a request writes rows it never reads back."""
    return cast(Table, model.__table__)


class Role(enum.StrEnum):
    """Who a principal is; each role maps to a fixed set of OAuth2 scopes (security.py)."""

    admin = "admin"
    assessor = "assessor"
    reporter = "reporter"
    monitor = "monitor"


class OwnerType(enum.StrEnum):
    """Who owns a camera: the plan counts enterprise and residential cameras too."""

    government = "government"
    enterprise = "enterprise"
    residential = "residential"


class SiteStatus(enum.StrEnum):
    """Rollout status of a camera site."""

    planned = "planned"
    installed = "installed"


class HealthState(enum.StrEnum):
    """Feed state reported by the monitor (contract: ok | degraded | down)."""

    ok = "ok"
    degraded = "degraded"
    down = "down"


class PeriodKind(enum.StrEnum):
    """Length of an assessment period."""

    quarter = "quarter"
    half_year = "half_year"
    year = "year"
    phase = "phase"


def _enum_check(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


# --- geography and targets -----------------------------------------------------------


class District(Base):
    """An administrative district (seeded from ``geodata.load_districts()``)."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    area_km2: Mapped[float] = mapped_column(Float)
    # Large (tens of kB): loaded only when read, never with every joined district.
    geometry: Mapped[str] = mapped_column(
        Text, deferred=True, doc="WGS84 GeoJSON geometry (lon/lat)."
    )


class AssessmentPeriod(Base):
    """A target/assessment period, e.g. ``2007-H1`` (half-year) or ``2007-Q3`` (quarter)."""

    __tablename__ = "assessment_periods"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint(_enum_check("kind", PeriodKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Target(Base):
    """Number of cameras a district must have installed by the end of a period."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("district_id", "period_id", name="uq_targets_district_period"),
        CheckConstraint("cameras >= 0", name="cameras_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("assessment_periods.id"), index=True)
    cameras: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship(lazy="joined")
    period: Mapped[AssessmentPeriod] = relationship(lazy="joined")


# --- cameras -----------------------------------------------------------------------------


class CameraSite(Base):
    """A camera site: planned (from a planner output) or reported (new site) and installed."""

    __tablename__ = "camera_sites"
    __table_args__ = (
        CheckConstraint(_enum_check("status", SiteStatus), name="status"),
        CheckConstraint(_enum_check("owner_type", OwnerType), name="owner_type"),
        CheckConstraint("lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90", name="lonlat"),
        Index("ix_camera_sites_district_status", "district_id", "status"),
        Index("ix_camera_sites_installed_at", "installed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    owner_type: Mapped[str] = mapped_column(String(16), default=OwnerType.government.value)
    status: Mapped[str] = mapped_column(String(16), default=SiteStatus.planned.value)
    source: Mapped[str] = mapped_column(String(16), doc="'plan' or 'report'.")
    camera_type: Mapped[str | None] = mapped_column(String(32))
    heading: Mapped[float | None] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(32), doc="Planner phase, e.g. 'launch'.")
    cost: Mapped[float | None] = mapped_column(Float)
    stream_url: Mapped[str | None] = mapped_column(String(512))
    expected_fps: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    installed_at: Mapped[dt.datetime | None] = mapped_column()
    installed_by_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("installation_reports.id")
    )

    district: Mapped[District] = relationship(lazy="joined")
    health: Mapped[CameraHealth | None] = relationship(back_populates="site", lazy="joined")


class InstallationReport(Base):
    """One accepted installation report (a site list or a cumulative count) of a district."""

    __tablename__ = "installation_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), doc="'sites' or 'cumulative'.")
    actor: Mapped[str] = mapped_column(String(128))
    installed: Mapped[int] = mapped_column(Integer, doc="Sites newly installed by this report.")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """Stored response of a request made with an ``Idempotency-Key`` (per principal)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_principal_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CameraHealth(Base):
    """Current feed state of one camera site (latest transition from the monitor)."""

    __tablename__ = "camera_health"
    __table_args__ = (
        CheckConstraint(_enum_check("state", HealthState), name="state"),
        Index("ix_camera_health_state", "state"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("camera_sites.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[dt.datetime] = mapped_column()
    last_event_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    site: Mapped[CameraSite] = relationship(back_populates="health")


class HealthTransition(Base):
    """Every state transition received from the monitor (history; ``event_id`` dedupes)."""

    __tablename__ = "health_transitions"
    __table_args__ = (Index("ix_health_transitions_site_at", "site_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("camera_sites.id"))
    district: Mapped[str | None] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProgressSnapshot(Base):
    """Daily per-district figures (last write of the day wins), the source of the trend."""

    __tablename__ = "progress_snapshots"
    __table_args__ = (UniqueConstraint("day", "district_id", name="uq_progress_day_district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    planned: Mapped[int] = mapped_column(Integer)
    installed: Mapped[int] = mapped_column(Integer)
    online: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- assessment (scoring lives in api/assessment.py) ------------------------------------


class AssessmentRun(Base):
    """One scoring run of a period: configuration + frozen inputs; frozen once published."""

    __tablename__ = "assessment_runs"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        # At most one published (frozen) run per period, even under concurrent publishes.
        Index(
            "uq_assessment_runs_published_period",
            "period_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("assessment_periods.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Weights, veto floors, flags.")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Figures the scores came from.")
    inputs_digest: Mapped[str] = mapped_column(String(64), doc="sha256 of config + inputs.")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column()
    published_by: Mapped[str | None] = mapped_column(String(128))

    period: Mapped[AssessmentPeriod] = relationship(lazy="joined")
    scores: Mapped[list[Score]] = relationship(
        back_populates="run", order_by="Score.rank", cascade="all, delete-orphan"
    )


class Score(Base):
    """A district's result in one assessment run."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("run_id", "district_id", name="uq_scores_run_district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    target: Mapped[int] = mapped_column(Integer)
    installed: Mapped[int] = mapped_column(Integer)
    online: Mapped[int] = mapped_column(Integer)
    completion: Mapped[float] = mapped_column(Float, doc="installed / target, 0..1 (capped).")
    online_rate: Mapped[float] = mapped_column(Float, doc="online / installed, 0..1.")
    inspection_pass_rate: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    flag: Mapped[str] = mapped_column(String(16), doc="'reward', 'penalty' or 'none'.")
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    veto_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[AssessmentRun] = relationship(back_populates="scores")
    district: Mapped[District] = relationship(lazy="joined")


class Inspection(Base):
    """An unannounced inspection: a seeded, recorded random sample of installed cameras."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("assessment_periods.id"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    per_district: Mapped[int] = mapped_column(Integer, doc="Sample size drawn per district.")
    districts: Mapped[list[Any]] = mapped_column(JSON, doc="District names sampled.")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    period: Mapped[AssessmentPeriod] = relationship(lazy="joined")
    results: Mapped[list[InspectionResult]] = relationship(
        back_populates="inspection", order_by="InspectionResult.id"
    )


class InspectionResult(Base):
    """One sampled camera of an inspection; ``outcome`` is null until it is checked."""

    __tablename__ = "inspection_results"
    __table_args__ = (
        UniqueConstraint("inspection_id", "site_id", name="uq_inspection_results_site"),
        CheckConstraint("outcome IS NULL OR outcome IN ('pass', 'fail')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("camera_sites.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    outcome: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str | None] = mapped_column(String(128))
    checked_at: Mapped[dt.datetime | None] = mapped_column()

    inspection: Mapped[Inspection] = relationship(back_populates="results")
    site: Mapped[CameraSite] = relationship(lazy="joined")


class Bulletin(Base):
    """A published progress bulletin of a period for one district (null = city-wide)."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("run_id", "district_id", name="uq_bulletins_run_district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("assessment_periods.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    title: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Figures shown in HTML and CSV.")
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    period: Mapped[AssessmentPeriod] = relationship(lazy="joined")
    district: Mapped[District | None] = relationship(lazy="joined")


# --- principals and audit ---------------------------------------------------------------


class User(Base):
    """A person who logs in with a password (OAuth2 password flow)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_enum_check("role", Role), name="role"),
        CheckConstraint("role != 'reporter' OR district_id IS NOT NULL", name="reporter_district"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    district: Mapped[District | None] = relationship(lazy="joined")


class ApiKey(Base):
    """A machine credential; only the sha256 of the (high-entropy) key is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(_enum_check("role", Role), name="role"),
        CheckConstraint("role != 'reporter' OR district_id IS NOT NULL", name="reporter_district"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), doc="First characters, to recognise a key.")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()

    district: Mapped[District | None] = relationship(lazy="joined")


class AuditEntry(Base):
    """Append-only record of every write: who, in which role and district, what changed."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise PermissionError("audit_log is append-only")

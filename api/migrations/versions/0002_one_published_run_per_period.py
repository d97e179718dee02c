"""at most one published assessment run per period

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 20:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED = sa.text("status = 'published'")


def upgrade() -> None:
    op.create_index(
        "uq_assessment_runs_published_period",
        "assessment_runs",
        ["period_id"],
        unique=True,
        sqlite_where=PUBLISHED,
        postgresql_where=PUBLISHED,
    )


def downgrade() -> None:
    op.drop_index("uq_assessment_runs_published_period", table_name="assessment_runs")

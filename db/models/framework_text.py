"""What a framework says: its competencies or behaviours, their indicators by level, the grade-to-level maps and role templates. Read when indicators are shown, in set-up and the framework browser."""

from typing import Optional

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field

from db.models.base import TableModel


class Element(TableModel, table=True):
    """A competency or a behaviour."""

    id: Optional[int] = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    position: int
    name: str
    cluster: Optional[str] = None
    definition: str = Field(default="", sa_column=Column(Text, nullable=False))


class Indicator(TableModel, table=True):
    """One effective / ineffective indicator, or one example behaviour, at one level."""

    id: Optional[int] = Field(default=None, primary_key=True)
    element_id: int = Field(foreign_key="element.id", index=True)
    level: int = Field(index=True)
    kind: str  # "effective" | "ineffective" | "example"
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))


class GradeLevel(TableModel, table=True):
    __table_args__ = (UniqueConstraint("scheme", "grade"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    scheme: str  # "civil-service" | "copfs"
    grade: str
    level: int


class ElementLevelUse(TableModel, table=True):
    """COPFS: the levels at which each competency is used."""

    id: Optional[int] = Field(default=None, primary_key=True)
    scheme: str
    element_name: str
    level: int


class RoleTemplate(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    annex: str
    title: str
    grade: str
    level: int
    location: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lead: Optional[str] = None

"""Typed specs of what people hand the app (a campaign file, a wizard's answers)."""

from db.specs.campaign import CampaignSpec, read_spec
from db.specs.parts import (
    DatesPart, FrameworkPart, GradePart, ItemSpec, OtherPart, PanelMember, PanelPart, QuestionsPart, RolePart,
    ScoringPart,
)
from db.specs.values import Part, Problem

__all__ = [
    "CampaignSpec", "DatesPart", "FrameworkPart", "GradePart", "ItemSpec", "OtherPart", "Part", "PanelMember",
    "PanelPart", "Problem", "QuestionsPart", "RolePart", "ScoringPart", "read_spec",
]

"""Typed specs for everything that comes in: a campaign file or the wizard's answers, packs, returns, paper scores, framework files (see ``db.specs.base``)."""

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

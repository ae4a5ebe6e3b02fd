"""Resident participation (居委四创): deliberation topics with proposals, votes and
decisions; volunteers; the points ledger and the time bank; surveys; public boards.
One module per part; every scoped row carries ``scope_path`` (its community's or grid's
path) and is read through ``core.scoping`` under the ``participation`` permissions."""

from gridgov.participation.models.boards import (  # noqa: F401
    Bylaw,
    BylawArticle,
    ComplianceEntry,
    ServiceBoardEntry,
)
from gridgov.participation.models.topics import Topic, TopicLog  # noqa: F401
from gridgov.participation.models.volunteers import (  # noqa: F401
    Activity,
    Shift,
    ShiftRecord,
    Skill,
    Team,
    TimeBand,
    Volunteer,
)

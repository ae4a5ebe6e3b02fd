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
from gridgov.participation.models.deliberation import (  # noqa: F401, E402
    Comment,
    CoSignature,
    Decision,
    Proposal,
    TopicDocument,
    TopicNotice,
)
from gridgov.participation.models.ledgers import (  # noqa: F401
    CatalogueItem,
    PendingCredit,
    Redemption,
)
from gridgov.participation.models.surveys import (  # noqa: F401
    Question,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyTarget,
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
from gridgov.participation.models.votes import (  # noqa: F401
    Ballot,
    Elector,
    PaperBallot,
    Representative,
    Turnout,
    Vote,
)

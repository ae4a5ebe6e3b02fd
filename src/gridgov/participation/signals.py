"""What participation rewards: the parts that record an act send one of these inside the
act's transaction, and the points ledger and the time bank credit it by their policy (one
credit per source record). ``resident`` is a ``people.Resident``; ``source`` the record that
proves the act."""

from django.dispatch import Signal

# A ballot cast online or entered from paper (source: the ballot's record or receipt).
vote_cast = Signal()  # resident, source
# A resident's proposal adopted in a decision (source: the proposal).
proposal_adopted = Signal()  # resident, source
# Volunteer hours approved by the organiser or the person served (source: the shift record).
hours_approved = Signal()  # resident, source, hours (Decimal), approver
# A survey answered by an identified resident (source: the response).
survey_answered = Signal()  # resident, source
# A resident's suggestion adopted in a community chat group (source: the suggestion).
group_suggestion_adopted = Signal()  # resident, source

"""The points ledger and the time bank listen to the acts others record (inside the act's
transaction): each credit names the act's source record, so a resent signal credits
nothing twice. The chat-groups app sends ``group_suggestion_adopted`` when it arrives."""

from django.dispatch import receiver

from gridgov.lists.signals import order_completed, order_resident_rated
from gridgov.participation import services_points as points
from gridgov.participation import signals


@receiver(signals.vote_cast, dispatch_uid="points.vote_cast")
def _vote_cast(sender, resident, source, **kwargs):
    points.credit_points(resident=resident, action="vote_cast", source=source)


@receiver(signals.proposal_adopted, dispatch_uid="points.proposal_adopted")
def _proposal_adopted(sender, resident, source, **kwargs):
    points.credit_points(resident=resident, action="proposal_adopted", source=source)


@receiver(signals.survey_answered, dispatch_uid="points.survey_answered")
def _survey_answered(sender, resident, source, **kwargs):
    points.credit_points(resident=resident, action="survey_answered", source=source)


@receiver(signals.group_suggestion_adopted, dispatch_uid="points.group_suggestion_adopted")
def _group_suggestion(sender, resident, source, **kwargs):
    points.credit_points(resident=resident, action="group_suggestion_adopted", source=source)


@receiver(signals.hours_approved, dispatch_uid="points.hours_approved")
def _hours_approved(sender, resident, source, hours, approver=None, **kwargs):
    points.credit_points(
        resident=resident, action="volunteer_hours", source=source, units=hours, actor=approver
    )
    points.deposit_hours(resident=resident, source=source, hours=hours, actor=approver)


@receiver(order_resident_rated, dispatch_uid="points.order_resident_rated")
def _order_rated(sender, order, **kwargs):
    resident = points.order_rater(order)
    if resident is not None:
        points.credit_points(resident=resident, action="service_rated", source=order)


@receiver(order_completed, dispatch_uid="timebank.order_completed")
def _order_completed(sender, order, **kwargs):
    volunteer = points.order_volunteer(order)
    if volunteer is not None and order.hours:
        points.deposit_hours(
            resident=volunteer, source=order, hours=order.hours, occurred_at=order.completed_at
        )

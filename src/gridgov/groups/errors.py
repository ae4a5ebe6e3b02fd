"""The inventory's refusals, each with its own code (the one error body everywhere)."""

from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import ValidationFailed


class CommercialGroupRefused(ValidationFailed):
    """Pure commercial groups (团购群, 微商群) are outside the inventory (S000 §2.4.2)."""

    code = "commercial_group"
    default_message = _(
        "Purely commercial groups (group buying, WeChat shops) are not part of the "
        "inventory and cannot be registered."
    )


class ImpossibleNumbers(ValidationFailed):
    """Counts that cannot all be true (more aged 60+ than members, negative counts)."""

    code = "impossible_numbers"
    default_message = _("Some numbers cannot be right; see the named fields.")

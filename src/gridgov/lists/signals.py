"""What the three lists tell other parts, sent inside the act's transaction (a receiver's
failure rolls the act back). The lists know nothing of who listens: the points ledger and
the time bank of ``participation`` credit these by their policy."""

from django.dispatch import Signal

# A service order completed with the hours given (order.hours set).
order_completed = Signal()  # order
# The person served rated a completed order themselves through the rating link.
order_resident_rated = Signal()  # order

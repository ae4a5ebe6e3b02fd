"""Form helpers for templates."""

from django import template
from django.apps import apps

from gridgov.core.errors import field_error_lines

register = template.Library()


@register.filter
def error_lines(errors, model_label: str = ""):
    """``{{ errors|error_lines:"people.resident" }}``: a form's errors as lines naming each
    field by its label in the user's language."""
    model = apps.get_model(model_label) if model_label else None
    return field_error_lines(errors, model)

"""The checks every browser test makes of a screen before it takes its picture."""

from tests.browser.axe import axe_violations


def overflow(page) -> tuple[int, int]:
    """The document's width beside the viewport's. A click that navigates returns once the
    new document has started loading, before it has an element: wait for it to load."""
    page.wait_for_load_state()
    scroll, width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    return scroll, width


def assert_fits(page, name: str = "") -> None:
    """No horizontal scrolling and no serious or critical axe-core violation."""
    scroll, width = overflow(page)
    assert scroll <= width, (name, scroll, width)
    violations = axe_violations(page)
    assert not violations, (name, violations)

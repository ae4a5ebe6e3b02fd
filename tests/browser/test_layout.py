"""Every staff role's home (and the service provider's) and every page its menu offers fit the screen, from a 360 px
phone to a 1920 px desktop, in Chinese and in English: no horizontal overflow, the menu on
one line at desktop widths with sign-out and language visible, the phone menu opens, and
axe-core finds no serious or critical violation on any of them.
Screenshots go to var/test-artifacts/layout/ (<role>-<lang>-<width>-<page>.png).

One browser and one page for the whole walk: each page is loaded once per language and
measured at every width, narrowest first, by resizing the viewport."""

import re
from pathlib import Path

import pytest

from gridgov.core.tests.workplace import build_workplace
from tests.browser.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Phones (360, 390), tablets, the narrowest desktop menu (1200) and common desktops.
WIDTHS = [360, 390, 768, 1024, 1200, 1280, 1366, 1920]
DESKTOP = {1200, 1280, 1366, 1920}
SCREENSHOT_WIDTHS = {390, 1366}
LANGUAGES = ["zh-hans", "en"]
STAFF = [
    "worker",
    "leader",
    "community",
    "street",
    "district",
    "handler",
    "sysadmin",
    "secadmin",
    "auditadmin",
    "provider",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "layout"

MEASURE = r"""() => {
  const nav = document.querySelector('nav.navbar');
  const box = (e) => e.getBoundingClientRect();
  const shown = (e) => { const r = box(e); return r.width > 0 && r.height > 0; };
  const bar = [...nav.querySelectorAll(
    '.navbar-brand, .navbar-nav > li > .nav-link, .navbar-nav > li button, form button')]
    .filter(shown);
  const over = [...document.querySelectorAll('main *')]
    .filter((e) => box(e).right > innerWidth && shown(e)
      && !e.closest('.table-responsive, .table-responsive-md, .overflow-auto'))
    .slice(0, 3).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(box(e).right));
  // Table cells squeezed until a name breaks one character per line (phones).
  // Lines of text: the text's boxes, where boxes that overlap vertically (a badge and a
  // small note side by side) are one line.
  const lines = (td) => {
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    const rects = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      rects.push(...[...range.getClientRects()].filter((r) => r.height > 0));
    }
    rects.sort((a, b) => a.top - b.top);
    let count = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 1) { count += 1; bottom = r.bottom; }
      else bottom = Math.max(bottom, r.bottom);
    }
    return count;
  };
  const squeezed = [...document.querySelectorAll('main td')]
    .filter((td) => shown(td) && lines(td) >= 3
      && td.innerText.replace(/\s/g, '').length <= 2 * lines(td))
    .slice(0, 3).map((td) => td.innerText.trim());
  const signOut = nav.querySelector('form[action*="logout"] button');
  const lang = nav.querySelector('button[name="language"]');
  return {
    scroll: document.documentElement.scrollWidth,
    inner: innerWidth,
    navHeight: box(nav).height,
    tops: bar.map((e) => Math.round(box(e).top)),
    tallest: Math.max(...bar.map((e) => box(e).height)),
    rightmost: Math.max(...bar.map((e) => box(e).right)),
    signOutShown: !!signOut && shown(signOut) && box(signOut).right <= innerWidth,
    langShown: !!lang && shown(lang) && box(lang).right <= innerWidth,
    over: over,
    squeezed: squeezed,
  };
}"""


SETTLE = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _session_cookies(user, live_server, language):
    import time

    from django.conf import settings
    from django.test import Client

    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()
    session.save()
    return [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        },
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
    ]


def _slug(href: str) -> str:
    path = re.sub(r"[0-9a-f-]{36}", "detail", href.split("?")[0].strip("/"))
    return path.replace("/", "_")[:60] or "home"


def _check(page, where: str, width: int, problems: list) -> None:
    m = page.evaluate(MEASURE)
    if m["scroll"] > m["inner"]:
        problems.append(f"{where}: page {m['scroll']} px wide in {m['inner']} ({m['over']})")
    if m["squeezed"]:
        problems.append(f"{where}: table cells squeezed to a character per line {m['squeezed']}")
    if width in DESKTOP:
        if max(m["tops"]) - min(m["tops"]) > 8 or m["tallest"] > 48 or m["navHeight"] > 72:
            problems.append(
                f"{where}: menu on more than one line (height {m['navHeight']}, "
                f"tops {sorted(set(m['tops']))}, tallest item {m['tallest']})"
            )
        if not m["signOutShown"] or m["rightmost"] > m["inner"]:
            problems.append(f"{where}: sign-out or language off screen")
    if not m["langShown"]:
        problems.append(f"{where}: language button not visible")


def _check_menus(page, where: str, problems: list) -> None:
    """Desktop: every group's menu opens inside the window, each entry on one line."""
    for toggle in page.locator("#nav .dropdown-toggle").all():
        toggle.click()
        menu = page.locator("#nav .dropdown-menu.show")
        menu.wait_for()
        box = menu.bounding_box()
        inner = page.evaluate("() => innerWidth")
        if box["x"] < 0 or box["x"] + box["width"] > inner:
            problems.append(f"{where}: menu {toggle.inner_text()} leaves the window")
        for item in menu.locator(".dropdown-item").all():
            if item.bounding_box()["height"] > 48:
                problems.append(f"{where}: menu entry {item.inner_text()!r} wraps")
        page.keyboard.press("Escape")


def _check_phone_menu(page, where: str, shot: Path, problems: list) -> None:
    """Phone: the menu opens, shows every group and sign-out, and reads (white on blue)."""
    page.locator(".navbar-toggler").click()
    page.locator("#nav.collapse.show").wait_for()
    groups = page.locator("#nav .dropdown-toggle")
    if groups.count():
        groups.first.click()
        page.locator("#nav .dropdown-menu.show").wait_for()
    if not page.locator("#nav form[action*='logout'] button").is_visible():
        problems.append(f"{where}: sign-out not in the opened phone menu")
    colour = page.evaluate("() => getComputedStyle(document.querySelector('#nav .nav-link')).color")
    if colour not in ("rgb(255, 255, 255)",):
        problems.append(f"{where}: phone menu text is {colour}, not white")
    page.screenshot(path=str(shot), full_page=True)


def test_every_staff_page_fits_every_width_in_both_languages(
    browser, live_server, org_tree, make_user
):
    workplace = build_workplace(org_tree, make_user)
    staff, households = workplace["staff"], workplace["households"]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems: list[str] = []
    audited: set[tuple[str, str]] = set()
    shot: set[tuple[str, int, str]] = set()
    base = live_server.url
    try:
        for key in STAFF:
            for language in LANGUAGES:
                context.clear_cookies()
                context.add_cookies(_session_cookies(staff[key], live_server, language))
                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(base + "/")
                # Every page the menu offers (its groups' entries, the inbox, the profile).
                hrefs = page.eval_on_selector_all(
                    "#nav a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
                )
                assert hrefs, f"{key}: no menu"
                pages = ["/", *dict.fromkeys(hrefs)]
                # An event's page, and where the registry is kept, a household and its forms.
                first_event = page.locator("a.event-row").first
                if first_event.count():
                    pages.append(first_event.get_attribute("href"))
                # A provider account's order (its home lists them).
                first_order = page.locator("main a[href^='/lists/serve/']").first
                if staff[key].has_permission("lists.serve") and first_order.count():
                    pages.append(first_order.get_attribute("href"))
                if staff[key].has_permission("people.change"):
                    household = households[0].uid
                    pages += [
                        f"/people/households/{household}/",
                        f"/people/households/{household}/residents/new/",
                        "/people/households/new/",
                    ]
                for href in pages:
                    # Loaded at the narrowest width, then widened: a chart drawn at one
                    # width keeps it until reloaded, as on a real phone.
                    page.set_viewport_size({"width": WIDTHS[0], "height": 844})
                    page.goto(base + href)
                    assert page.url.startswith(base), (key, href)
                    for width in WIDTHS:
                        page.set_viewport_size({"width": width, "height": 900})
                        # Let the pages' resize handlers (charts) run before measuring.
                        page.evaluate(SETTLE)
                        where = f"{key} {language} {width}px {href}"
                        _check(page, where, width, problems)
                        # A screenshot per page, width and language (a page several roles
                        # share is shot once, as the first of them sees it); every home.
                        shot_as = (language, width, href if href != "/" else f"/ {key}")
                        if width in SCREENSHOT_WIDTHS and shot_as not in shot:
                            shot.add(shot_as)
                            name = f"{key}-{language}-{width}-{_slug(href)}.png"
                            page.screenshot(path=str(ARTEFACTS / name), full_page=True)
                        if href == "/" and width == 1366:
                            _check_menus(page, where, problems)
                        # axe-core once per page, at a desktop width (serious or critical).
                        # Each role's home is its own; other pages once per language.
                        seen_as = (language, href if href != "/" else f"/ {key}")
                        if width == 1366 and seen_as not in audited:
                            audited.add(seen_as)
                            problems += [f"{where}: axe {v}" for v in axe_violations(page)]
                        # A role's home is also its phone screen: audited at 390 px too.
                        if href == "/" and width == 390:
                            problems += [f"{where}: axe {v}" for v in axe_violations(page)]
                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(base + "/")
                menu_shot = ARTEFACTS / f"{key}-{language}-390-menu-open.png"
                _check_phone_menu(page, f"{key} {language} 390px menu", menu_shot, problems)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors

"""axe-core (npm, a development dependency) run in the browser tests."""

import os

AXE_SOURCE = os.path.join(
    os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js"
)


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands, one line each
    (rule, impact, the first offending elements). The script is evaluated through the
    browser's debugging protocol, which the page's Content-Security-Policy does not govern."""
    with open(AXE_SOURCE, encoding="utf-8") as source:
        page.evaluate(source.read() + "\n;true")
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}"
        for v in results
        if v["impact"] in impacts
    ]

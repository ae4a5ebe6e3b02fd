import pytest

from conftest import TEST_PASSWORD
from gridgov.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base + "/")


@pytest.fixture
def registry(org_tree, make_user):
    from gridgov.people import services

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    household = services.household_create(
        actor=staff,
        grid=org_tree["g1a"],
        number="H0001",
        address="宛平南路一小区 3号楼 2单元 301室",
        kind="family",
    )
    services.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "phone": "13812341234",
            "relation": "head",
            "registration": "registered",
        },
    )
    return staff, household


def test_grid_worker_finds_a_resident_by_pinyin_and_opens_the_household(
    page, org_tree, make_user, registry
):
    make_user(Role.GRID_WORKER, org_tree["g1a"], username="wgy")
    sign_in(page, "wgy")
    page.goto(page.base + "/people/residents/")
    page.get_by_label("姓名、拼音首字母或号码后4位").fill("zs")
    # Locator waits, not wait_for_function: the page's CSP forbids evaluating strings.
    page.locator("#resident-rows").get_by_role("link", name="张三").wait_for()
    text = page.locator("#resident-rows").inner_text()
    assert "110105************" in text and "138****1234" in text
    assert "11010519491231002X" not in page.content()
    page.get_by_role("link", name="张三").click()
    assert "宛平南路一小区" in page.locator("h1").inner_text()
    assert "显示完整" not in page.content()  # grid workers cannot reveal
    assert not page.console_errors, page.console_errors


def test_staff_adds_a_member_with_live_validation_and_reveals_a_phone(page, registry):
    _staff, household = registry
    sign_in(page, "juwei")
    page.goto(page.base + f"/people/households/{household.uid}/residents/new/")
    page.get_by_label("姓名").fill("张小明")
    page.get_by_label("证件号码").fill("110105194912310021")
    page.get_by_label("证件号码").blur()
    page.wait_for_selector("#form-errors .alert")
    assert "校验位" in page.locator("#form-errors").inner_text()
    page.get_by_label("证件号码").fill("")
    page.get_by_label("出生日期").fill("2015-06-01")
    page.get_by_label("性别").select_option("M")
    page.get_by_label("与户主关系").select_option("child")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(page.base + f"/people/households/{household.uid}/")
    assert "张小明" in page.content()
    page.locator("input[name=reason]").nth(1).fill("电话回访")
    page.get_by_role("button", name="查看完整").nth(1).click()
    page.get_by_text("13812341234").wait_for()
    assert not page.console_errors, page.console_errors
    page.screenshot(path="var/screenshot-household.png", full_page=True)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_staff_imports_an_office_roster_deciding_a_column_and_seeing_households(
    browser, live_server, registry, org_tree, tmp_path, locale
):
    """The import journey with a 花名册: no grid, household or address columns, a 序号 column
    the import does not know, households from the 户主 rows. Screenshots at 390 px and
    1366 px go to var/test-artifacts/."""
    import csv
    import io
    import random
    from pathlib import Path

    from gridgov.demo.people import fictitious_id, fictitious_phone
    from gridgov.people.models import Household
    from gridgov.people.tests.test_import_households import ROSTER_HEADER, roster_rows

    rng = random.Random(11)

    def ids(birth, sex="M"):
        return fictitious_id(rng, birth, sex, "310104")

    ids.phone = lambda: fictitious_phone(rng)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["宛平南路社区居民花名册"])
    writer.writerow(["序号", *ROSTER_HEADER])
    writer.writerows([str(i), *row] for i, row in enumerate(roster_rows(ids), start=1))
    roster = tmp_path / "花名册.csv"
    roster.write_bytes(buffer.getvalue().encode("gbk"))
    artefacts = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
    artefacts.mkdir(parents=True, exist_ok=True)
    language = locale[:2]

    context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = live_server.url
    try:
        page.goto(page.base + "/accounts/login/")
        page.locator("input[name=username]").fill("juwei")
        page.locator("input[name=password]").fill(TEST_PASSWORD)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_url(page.base + "/")
        page.goto(page.base + "/people/imports/")
        page.locator("#i_file").set_input_files(str(roster))
        page.locator("#i_grid").select_option("310104003001002")
        page.locator("#i_grouping").select_option("relation")
        page.locator("#i_mode").select_option("preview")
        page.locator("form:has(#i_file) button").click()
        page.locator("#import-columns").wait_for()
        columns = page.locator("#import-columns").inner_text()
        assert "序号" in columns and "与户主关系" in columns
        assert page.locator("#import-households").count() == 1
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(
                path=str(artefacts / f"import-columns-{language}-{width}.png"), full_page=True
            )
        page.locator("select[name=col-A]").select_option("ignore")
        page.locator("#import-columns button").click()
        page.locator("#import-households").wait_for()
        page.locator("form button[value=all]").wait_for()
        households = page.locator("#import-households").inner_text()
        assert "张建国" in households and "王芳" in households and "赵强" in households
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(
                path=str(artefacts / f"import-households-{language}-{width}.png"), full_page=True
            )
        page.locator("form button[value=all]").click()
        page.wait_for_url("**/people/imports/**")
        page.locator("#import-status").wait_for()
        assert Household.objects.filter(grid__code="310104003001002").count() == 3
        assert not errors, errors
    finally:
        context.close()


def test_community_staff_exports_the_filtered_list(page, org_tree, registry):
    """The export button posts the list's current filters (as the search box left them)
    with the CSRF token; the file is masked and its audit record names the rows."""
    from pathlib import Path

    from gridgov.audit.models import AuditRecord
    from gridgov.people import services

    staff, household = registry
    services.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "李四",
            "id_type": "none",
            "sex": "M",
            "birth_date": "1950-01-01",
            "relation": "spouse",
            "registration": "registered",
        },
    )
    sign_in(page, "juwei")
    page.goto(page.base + "/people/residents/")
    page.get_by_label("姓名、拼音首字母或号码后4位").fill("zs")
    page.locator("#resident-rows").get_by_role("link", name="张三").wait_for()
    page.locator("#resident-rows").get_by_role("link", name="李四").wait_for(state="detached")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "张三" in content and "李四" not in content
    assert "110105************" in content and "11010519491231002X" not in content
    record = AuditRecord.objects.get(action="people.export")
    assert record.changes["rows"] == 1 and record.changes["filters"]["q"] == "zs"
    assert record.changes["masked"] is True
    assert not page.console_errors, page.console_errors

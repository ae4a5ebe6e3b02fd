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
    assert "110105********002X" in text and "138****1234" in text
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

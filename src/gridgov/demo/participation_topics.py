"""Demo deliberation 议事: in every community, topics in every state — collecting proposals,
selected with a hearing ahead, under discussion (a comment removed by the moderator),
voting, decided, being implemented, reported back, not taken up with its reason — and one
adopted topic whose report-back is overdue, so it shows red. Residents' proposals with
co-signatures: a candidate topic waiting in the queue, one still gathering support, one
hidden, one declined, and those taken into the topics and adopted by their decisions.

Topics move through ``move_topic`` and the services, by the community's staff; proposals are
entered through the services on the residents' behalf (代办), the bound demo resident's
own included. Co-signatures and comments are written as the services would have left them
(most demo residents have no account to act with). Votes are not made here. Idempotent:
nothing is added once a topic exists."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.demo.visits import _office
from gridgov.org.models import OrgUnit
from gridgov.participation import services_deliberation as services
from gridgov.participation.models import Comment, CoSignature, Decision, Proposal, Topic
from gridgov.participation.workflow import move_topic
from gridgov.people.models import Resident

T = Topic.State

# title, description, state, source, meeting type, at the grid (else the community)
TOPICS = [
    (
        "楼道堆物清理与消防通道",
        "楼道堆放杂物堵塞消防通道，征集各楼组意见。",
        T.COLLECTING,
        "committee",
        "online",
        False,
    ),
    (
        "小区停车位划线与收费方案",
        "车位紧张，拟重新划线并调整停车收费。",
        T.SELECTED,
        "committee",
        "hearing",
        False,
    ),
    (
        "老旧楼加装电梯费用分摊",
        "加装电梯按楼层分摊费用的方案讨论。",
        T.DISCUSSING,
        "proposal",
        "coordination",
        True,
    ),
    (
        "公共收益使用方案",
        "小区广告位等公共收益的使用方向。",
        T.VOTING,
        "committee",
        "review",
        False,
    ),
    (
        "增设非机动车充电棚",
        "电动自行车楼道充电隐患大，拟增设集中充电棚。",
        T.DECIDED,
        "proposal",
        "coordination",
        False,
    ),
    (
        "社区长者食堂就餐时段调整",
        "长者食堂午餐时段延长半小时。",
        T.IMPLEMENTING,
        "need",
        "online",
        False,
    ),
    (
        "垃圾分类投放点迁移",
        "投放点离住户窗口过近，迁至北侧空地。",
        T.REPORTED,
        "event",
        "hearing",
        True,
    ),
    (
        "夜间广场舞音量管理",
        "晚间广场舞音量扰民，商定时段和音量。",
        T.REJECTED,
        "committee",
        "online",
        False,
    ),
    (
        "小区绿化带改造为口袋公园",
        "闲置绿化带改造为休憩口袋公园。",
        "overdue",
        "proposal",
        "review",
        False,
    ),
]
REJECT_REASON = "已由街道统一出台广场舞管理公约，无需另行立项。"
COMMENTS = [
    "支持，楼道堆物确实危险。",
    "建议先摸底各楼意见。",
    "一楼住户也应适当分摊。",
    "希望尽快推进。",
    "这里有广告，联系微信 xxx",
]
PROPOSALS = [
    # title, body, co-signers, what happens to it
    ("小区门口增设减速带", "早晚高峰车速快，老人小孩过马路危险。", 6, "candidate"),
    ("健身器材更新", "小广场健身器材老化生锈，建议更换。", 2, "gathering"),
    ("代办装修推广", "本公司承接各类装修，价格优惠。", 0, "hidden"),
    ("楼顶加装光伏", "楼顶闲置，加装光伏板收益归全体业主。", 5, "declined"),
]


def _adults(unit: OrgUnit) -> list[Resident]:
    today = date.today()
    return list(
        Resident.objects.active()
        .filter(
            scope_path__startswith=unit.path,
            residence=Resident.Residence.PRESENT,
            birth_date__lte=today.replace(year=today.year - 20),
        )
        .select_related("household")
        .order_by("pk")[:40]
    )


def _cosign(proposal: Proposal, residents: list[Resident], count: int) -> None:
    signers = [r for r in residents if r.pk != proposal.author_id][:count]
    CoSignature.objects.bulk_create([CoSignature(proposal=proposal, resident=r) for r in signers])
    proposal.cosign_count = len(signers)
    if proposal.state == Proposal.State.SUBMITTED and len(signers) >= 5:
        proposal.state = Proposal.State.SECONDED
    proposal.save()


def _step(staff, topic: Topic, *actions: str) -> Topic:
    for action in actions:
        topic = move_topic(actor=staff, topic=topic, action=action, version=topic.version)
    return topic


def _seed_community(community: OrgUnit, bound: dict[int, Resident]) -> int:
    staff = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区工作人员")
    grid = OrgUnit.objects.filter(parent=community, level=OrgUnit.Level.GRID).order_by("code")
    grid = grid.first()
    # The people of the community's first grid: they take part in its topics and in the
    # community's.
    residents = _adults(grid) if grid is not None else []
    if len(residents) < 8:
        return 0
    now = timezone.now()
    made = 0
    own = next((r for r in residents if r.pk in bound), None)

    def propose(author, title, body, topic=None) -> Proposal:
        return services.proposal_create(
            actor=staff,
            data={"title": title, "body": body, "topic": topic.pk if topic else ""},
            on_behalf_of=str(author.uid),
        )

    for i, (title, description, state, source, meeting, at_grid) in enumerate(TOPICS):
        unit = grid if at_grid else community
        topic = Topic.objects.create(
            org_unit=unit,
            title=title,
            description=description,
            source=source,
            meeting_type=meeting,
            meeting_at=None if meeting == "online" else now + timedelta(days=5 - i),
            meeting_place="" if meeting == "online" else "居民议事厅",
            resident_reps=8 + i,
            experts=i % 3,
            merchants=i % 2 * 2,
            departments="街道城管科" if i % 2 else "",
            created_by=staff,
        )
        services._log(topic, "create", staff, title)
        made += 1
        if state == T.COLLECTING:
            for n, author in enumerate(residents[1:3]):
                p = propose(author, f"{title}：建议{n + 1}", "请尽快清理并建立长效机制。", topic)
                _cosign(p, residents, 2 + n)
            continue
        # A proposal taken into the topic, adopted or not with its decision.
        author = own if (own is not None and state == T.REPORTED) else residents[i % 8]
        taken = propose(author, f"关于{title}的建议", description, topic)
        _cosign(taken, residents, 3)
        if state == T.REJECTED:
            services.topic_transition(
                actor=staff,
                topic=topic,
                action="reject",
                version=topic.version,
                reason=REJECT_REASON,
            )
            continue
        topic = _step(staff, topic, "select")
        if state == T.SELECTED:
            continue
        topic = _step(staff, topic, "open_discussion")
        # The advert, removed by the moderator, in the topic under discussion only.
        said = COMMENTS if state == T.DISCUSSING else COMMENTS[:-1]
        for n, text in enumerate(said):
            comment = Comment.objects.create(topic=topic, author=residents[n + 2], body=text)
            if n == len(COMMENTS) - 1:
                services.comment_remove(actor=staff, comment=comment, reason="含商业广告")
        if state == T.DISCUSSING:
            continue
        if state in (T.VOTING, T.DECIDED):
            topic = _step(staff, topic, "open_vote")
        if state == T.VOTING:
            continue
        outcome = "changed" if state == T.IMPLEMENTING else "adopted"
        services.decision_record(
            actor=staff,
            topic=topic,
            data={"outcome": outcome, "summary": f"经议事同意：{description}"},
            version=topic.version,
        )
        topic.refresh_from_db()
        if state == "overdue":
            Decision.objects.filter(topic=topic).update(
                decided_at=now - timedelta(days=40),
                report_due=timezone.localdate() - timedelta(days=10),
            )
            continue
        if state == T.DECIDED:
            continue
        services.decision_implementation(
            actor=staff,
            topic=topic,
            implementation="in_progress" if state == T.IMPLEMENTING else "done",
            version=topic.version,
        )
        topic.refresh_from_db()
        if state == T.REPORTED:
            services.report_back(
                actor=staff,
                topic=topic,
                text="投放点已迁至北侧空地，并加装了遮雨棚和洗手池，感谢居民参与。",
                version=topic.version,
            )
    for n, (title, body, cosigners, fate) in enumerate(PROPOSALS):
        author = own if (own is not None and fate == "gathering") else residents[4 + n]
        proposal = propose(author, title, body)
        _cosign(proposal, residents, cosigners)
        proposal.refresh_from_db()
        if fate == "hidden":
            services.proposal_hide(
                actor=staff, proposal=proposal, reason="商业广告", version=proposal.version
            )
        elif fate == "declined":
            services.proposal_decline(
                actor=staff,
                proposal=proposal,
                reason="楼顶产权及结构条件不具备。",
                version=proposal.version,
            )
    return made


def seed_participation_topics() -> int:
    """Returns the number of topics made (none if some topic exists)."""
    if Topic.objects.exists():
        return 0
    from gridgov.residents.models import ResidentAccount

    bound = {a.resident_id: a.resident for a in ResidentAccount.objects.select_related("resident")}
    made = 0
    for community in OrgUnit.objects.filter(level=OrgUnit.Level.COMMUNITY, is_active=True).order_by(
        "code"
    ):
        with transaction.atomic():
            made += _seed_community(community, bound)
    return made

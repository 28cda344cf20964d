"""Test articles written for this project (fictional events), shaped like the real problem:

- WIRE is an agency story; WIRE_WITH_APPEAL is a publisher's copy of it with a donation
  appeal pasted on top and the last paragraphs cut.
- OTHER_WITH_APPEAL is a different story carrying the same appeal: it must not match.
- SAME_EVENT_A and SAME_EVENT_B are different articles about one event that quote the
  same people: they must not match either.
- RELEASE is a company's press release naming the company and its ticker in the dateline and
  again in its "About" paragraphs: a phrase said twice, as releases do.
- LIBRARY is another story, shorter than WIRE and about something else; ROUNDUP is a briefing that
  holds both whole under an introduction of its own (it must not make them one story).
"""

from __future__ import annotations

APPEAL = (
    "Your support keeps local reporting alive. Read more. Donate now. From flooded high streets to "
    "council budgets, the Riverside Courier is on the ground when the story is developing. Whether it is "
    "investigating planning decisions or producing our latest documentary series on coastal towns, we know "
    "how important it is to separate the facts from the spin. Your donation allows us to keep sending "
    "reporters to speak to every side of the story. We choose not to lock readers out of our journalism "
    "with paywalls, because we believe quality reporting should be open to everyone, paid for by those who "
    "can afford it. Your support makes all the difference. Read more."
)

WIRE_PARAGRAPHS = [
    "Harbour officials in Port Anselm have approved a plan to double the size of the town's container "
    "terminal, ending a three-year dispute with fishing crews who say the works will drive them from the "
    "quay their families have used for generations.",
    "The harbour board voted seven to two on Tuesday evening after a meeting that ran for more than five "
    "hours, with dozens of residents queuing outside the civic hall in the rain to hear the result.",
    "Board chair Miriam Okafor said the expansion would bring about four hundred permanent jobs and secure "
    "the port's future as larger ships bypass smaller terminals along the coast.",
    "\u201cWe cannot stand still while the shipping lines move on without us,\u201d she told reporters. "
    "\u201cThis is the hardest decision the board has taken in a generation, and we have taken it with our "
    "eyes open.\u201d",
    "Fishing crews had asked the board to keep the northern quay open to small boats during construction, "
    "which is expected to last at least four years. The approved plan closes it from next spring.",
    "Tomas Reyes, who has fished out of Port Anselm for thirty-one years, said the decision would cost "
    "crews thousands of pounds a year in fuel to land their catch at Kellick Bay instead.",
    "\u201cThey talk about jobs, but there are sixty boats working out of this harbour and every one of them "
    "keeps a family going,\u201d he said.",
    "The regional development agency has promised a compensation fund for affected crews, but has not said "
    "how large it will be or when payments would begin.",
    "Environmental groups have also raised concerns about dredging in the estuary, which is home to a "
    "protected colony of grey seals and a nursery ground for bass.",
    "A spokesperson for the harbour board said a full environmental assessment had been carried out and "
    "that dredging would be paused during the seal pupping season each autumn.",
    "Work on the first phase, a new deep-water berth on the eastern side of the harbour, is due to start "
    "in March, subject to final approval from the transport ministry.",
    "Opponents have said they will consider a legal challenge and plan to hold a public meeting at the "
    "fishermen's mission next week.",
]
WIRE_TITLE = "Port Anselm harbour expansion approved despite fishing crews' objections"
WIRE = "\n\n".join(WIRE_PARAGRAPHS)

# The publisher's copy: appeal on top, typographic quotes straightened, last three paragraphs cut.
WIRE_WITH_APPEAL = APPEAL + "\n\n" + "\n\n".join(WIRE_PARAGRAPHS[:-3]).replace("\u201c", '"').replace("\u201d", '"')

OTHER_WITH_APPEAL = APPEAL + "\n\n" + "\n\n".join([
    "A primary school in Westmere has been forced to close two classrooms after inspectors found that the "
    "ceiling panels installed during a refurbishment in the nineteen seventies were at risk of collapse.",
    "About sixty pupils have been moved into the school hall and the library while engineers examine the "
    "rest of the building, which was extended twice during the last century.",
    "Headteacher Daniel Pryce said in a letter to parents that no child had been hurt and that lessons "
    "would continue as normally as possible while temporary classrooms are brought in.",
    "\u201cThe safety of our children comes before everything else, and we acted the same afternoon the "
    "report reached us,\u201d he wrote.",
    "The county education department said it had set aside emergency funds for repairs and expected the "
    "portable classrooms to arrive on site within three weeks.",
    "Parents at the school gate on Wednesday said they were relieved that the problem had been found but "
    "angry that the building had been allowed to deteriorate for so long.",
    "One mother, whose two sons attend the school, said she had raised concerns about water stains on the "
    "ceilings at a governors' meeting more than a year ago and had heard nothing back.",
    "The department said it was reviewing the condition of eleven other schools built in the same period "
    "and would publish the results of those surveys before the end of term.",
    "A union representing teachers in the county called for a full national audit of school buildings, "
    "saying that years of delayed maintenance had left many in a poor state.",
])  # fmt: skip

SAME_EVENT_A = "\n\n".join([
    "The harbour board in Port Anselm has backed a major expansion of the container terminal, in a vote "
    "that fishing families describe as the end of a way of life on the northern quay.",
    "Members voted seven to two in favour after a long and at times heated meeting on Tuesday night.",
    "\u201cWe cannot stand still while the shipping lines move on without us,\u201d said the board chair, "
    "Miriam Okafor, who argued that the port would otherwise lose its biggest customers within a decade.",
    "Economists at the University of the Coast have estimated that the larger terminal could add as much "
    "as two per cent to the regional economy once it is fully operational, largely through logistics and "
    "warehousing firms moving into the industrial estate beside the port.",
    "But the study also warned that most of the new positions would require training that few people in "
    "the town currently have, and recommended that the agency fund courses at the local college.",
    "Local business owners were divided. A café owner on the seafront welcomed the prospect of more "
    "customers, while a chandler said his trade depended almost entirely on the small boats.",
    "\u201cThey talk about jobs, but there are sixty boats working out of this harbour and every one of them "
    "keeps a family going,\u201d said Tomas Reyes, a fisherman.",
    "The transport ministry is expected to give its final decision on the plan before the end of February.",
])  # fmt: skip

SAME_EVENT_B = "\n\n".join([
    "Fishing crews in Port Anselm say they feel betrayed by their own harbour after the board approved a "
    "container terminal expansion that will close the northern quay to small boats from next spring.",
    "Tomas Reyes, whose father and grandfather fished from the same berth, has started to sell some of "
    "his gear. He says landing catches at Kellick Bay will make his boat unprofitable within two seasons.",
    "\u201cThey talk about jobs, but there are sixty boats working out of this harbour and every one of them "
    "keeps a family going,\u201d he said, standing beside nets that he has not yet sold.",
    "The crews' association has written to the regional development agency asking how the promised "
    "compensation will be calculated, and whether crew members as well as boat owners will be eligible.",
    "Younger fishermen say they are considering leaving the industry altogether. One, who bought his first "
    "boat two years ago with a loan, said he could not see how he would repay it.",
    "Board chair Miriam Okafor has defended the decision. \u201cWe cannot stand still while the shipping lines "
    "move on without us,\u201d she said, adding that the board would meet the crews' association next month.",
    "A petition calling on the transport ministry to reject the plan has gathered more than four thousand "
    "signatures, and a protest flotilla is planned for the weekend.",
])  # fmt: skip

# The same shapes in Chinese, a script written without spaces (each character is a token): ZH_WIRE, its copy
# with an appeal on top, the tail cut and the quotation marks of another region (ZH_WIRE_WITH_APPEAL), a
# different story with the same appeal (ZH_OTHER_WITH_APPEAL), and another article on the same decision
# quoting the same people (ZH_SAME_EVENT).
ZH_APPEAL = (
    "亲爱的读者：我们的新闻报道向所有人免费开放，但独立的新闻工作需要您的支持。如果您认为我们的报道有价值，"
    "请考虑今天就捐款，哪怕只是一点点。您的每一份支持都能帮助我们的记者深入现场、追问真相，让更多的人读到可靠的新闻。"
    "感谢您的慷慨。"
)
ZH_WIRE_PARAGRAPHS = [
    "安塞姆港务局周二批准了一项扩建集装箱码头的计划，码头面积将扩大一倍，这场持续近三年的争议由此告一段落。"
    "根据该计划，港口将新建两个深水泊位，并疏浚主航道，使更大型的货轮能够靠港。",
    "港务局主席林海涛在会后表示，扩建工程将为当地创造约一千二百个就业岗位，并在未来十年内使港口的年吞吐量"
    "提高到目前的两倍。他说：\u201c这是本港几十年来最重要的一项投资。\u201d",
    "然而，当地渔民协会对这一决定表示强烈不满。协会会长陈玉兰说，疏浚工程将破坏附近海湾的产卵场，威胁数百个"
    "以捕鱼为生的家庭。她表示，协会正在考虑向法院提起诉讼。",
    "环保组织也对计划提出了质疑。他们指出，港务局委托进行的环境评估没有充分考虑施工期间的噪音和水质污染问题，"
    "并要求由独立机构重新评估。",
    "港务局回应称，扩建计划已包括一项价值三千万元的生态补偿基金，用于修复受影响的湿地，并将在施工期间对水质"
    "进行持续监测。",
    "第一阶段工程预计将于明年春季动工，整个项目计划在五年内完成。港务局表示，将在下个月举行公众咨询会，听取"
    "居民和渔民的意见。",
    "市议会将在下周审议与扩建配套的道路改造方案，部分议员此前曾对港区周边的交通压力表示担忧。",
]
ZH_WIRE = "\n\n".join(ZH_WIRE_PARAGRAPHS)
ZH_WIRE_WITH_APPEAL = (
    ZH_APPEAL + "\n\n" + "\n\n".join(ZH_WIRE_PARAGRAPHS[:-2]).replace("\u201c", "「").replace("\u201d", "」")
)
ZH_OTHER_WITH_APPEAL = ZH_APPEAL + "\n\n" + "\n\n".join([
    "城市交通局周三宣布，从下个月起将调整十二条公交线路，以缓解市中心早晚高峰的拥堵。交通局局长王志明表示，"
    "调整后的线路将更多地覆盖新建住宅区，并缩短部分线路的发车间隔。",
    "根据新方案，三条穿过老城区的线路将改走环城路，另有两条夜班线路将延长运营时间至凌晨一点。交通局还将在"
    "五个大型换乘站增设电子显示屏，实时公布车辆到站信息。",
    "部分老年乘客担心线路调整后需要多次换乘。对此，王志明说，交通局将在各社区设立咨询点，并保留原有线路的"
    "部分站点，尽量减少对乘客的影响。",
])  # fmt: skip
ZH_SAME_EVENT = "\n\n".join([
    "安塞姆港的扩建方案终于获得通过。在周二的表决中，港务局委员以七票对两票支持该方案，投反对票的两名委员"
    "认为应当等待新的环境报告。",
    "\u201c这是本港几十年来最重要的一项投资。\u201d港务局主席林海涛在表决后对记者说。他承认，与渔民的分歧"
    "尚未消除，但相信双方能够找到妥协的办法。",
    "渔民协会会长陈玉兰则在码头外对聚集的渔民发表讲话，呼吁大家保持冷静。她说，协会的律师已经开始研究相关"
    "文件，下周将公布下一步的行动计划。",
    "一些年轻渔民表示，他们已经开始考虑转行。二十六岁的张磊说，近年来渔获逐年减少，扩建只会让情况更糟。",
])  # fmt: skip


RELEASE_PARAGRAPHS = [
    "NORTHGATE, April 14, 2026 -- Corvane Robotics Ltd. (TSX: CRVN) today announced that it has signed a "
    "five-year agreement to supply automated sorting lines to three regional parcel depots operated by "
    "Meridale Logistics, its largest order since the company was founded.",
    "The lines use camera-guided arms to read labels and route parcels of up to thirty kilograms, and the "
    "first of them is due to start work at the Eastfield depot in the autumn.",
    '"Parcel volumes in the region have grown faster than anyone planned for, and the depots cannot hire '
    'their way out of it," said chief executive Priya Lindqvist. "This agreement shows what our sorting '
    'lines can do at scale."',
    "The company expects the order to add about eleven million dollars to revenue over the life of the "
    "contract. It did not say what share of the work would be done at its own plant in Northgate.",
    "About Corvane Robotics Ltd. (TSX: CRVN)",
    "Corvane Robotics Ltd. (TSX: CRVN) designs and builds automated handling equipment for warehouses, "
    "depots and hospital supply rooms. Founded in 2014, it employs about two hundred people in Northgate "
    "and Port Selby.",
]
RELEASE = "\n\n".join(RELEASE_PARAGRAPHS)


LIBRARY_PARAGRAPHS = [
    "Kelmford's central library will reopen in September, eighteen months after a burst water main flooded "
    "its basement stacks and forced the council to close the Victorian building on Abbey Street.",
    "Restorers have spent most of that time drying and cleaning roughly forty thousand books and pamphlets, "
    "many of them local histories that exist in no other collection, in a cold store rented from a frozen "
    "food company on the edge of town.",
    "Head librarian Tobias Wren said about nine in ten of the damaged volumes had been saved, although a "
    "run of parish registers from the eighteen forties had been lost to mould before it could be moved.",
    '"We were lucky that the water stopped just short of the map room," he said. "Some of those sheets are '
    'older than the building itself, and nobody had ever made copies of them."',
    "The repairs have cost about two point three million pounds, most of it met by the council's insurers, "
    "with a heritage fund grant paying for a new drainage system and flood barriers at the basement doors.",
    "The reopened library will have a larger children's floor, a study room with late opening hours during "
    "exam season and a digitisation desk where residents can bring in family papers to be scanned.",
    "Volunteers who helped carry boxes out of the flooded basement on the night of the burst have been "
    "invited to a preview evening, where the first restored map will go on display in the entrance hall.",
    "The council said temporary lending points at two community centres would stay open until the end of "
    "August, and that books borrowed there could be returned to the central building once it reopens.",
]
LIBRARY = "\n\n".join(LIBRARY_PARAGRAPHS)

# A briefing that carries two stories whole, each under a heading of its own.
ROUNDUP = "\n\n".join(
    [
        "Evening briefing: the stories people across the region were reading today, in full, with a look at "
        "tomorrow's weather and what is coming up at the weekend.",
        "HARBOUR VOTE",
        WIRE,
        "LIBRARY TO REOPEN",
        LIBRARY,
        "Tomorrow will stay dry with sunny spells in the afternoon and a light westerly wind along the coast.",
    ]
)


def as_dict(article_id: str, body: str, **extra: str) -> dict[str, str]:
    return {"id": article_id, "body": body, **extra}

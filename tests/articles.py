"""Test articles written for this project (fictional events), shaped like the real problem:

- WIRE is an agency story; WIRE_WITH_APPEAL is a publisher's copy of it with a donation
  appeal pasted on top and the last paragraphs cut.
- OTHER_WITH_APPEAL is a different story carrying the same appeal: it must not match.
- SAME_EVENT_A and SAME_EVENT_B are different articles about one event that quote the
  same people: they must not match either.
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


def as_dict(article_id: str, body: str, **extra: str) -> dict[str, str]:
    return {"id": article_id, "body": body, **extra}

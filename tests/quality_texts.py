"""Project-written texts (fictional) for the detection-quality tests.

STORIES are five unrelated short local stories. FOOTER is one outlet's boilerplate, longer
than any of the stories, so that without boilerplate handling two different stories wearing
it would match. The wire templates are dividend notices and a weekly statistics report.
"""

from __future__ import annotations

STORIES = [
    "The county library in Elmsford will open on Sundays from next month after volunteers offered to staff "
    "the reading room. The trial will run until the end of the summer, when the council will decide whether "
    "to keep the longer hours and pay for an extra librarian.",
    "A lorry carrying frozen peas overturned on the ring road near Castlebridge early on Thursday, closing two "
    "lanes for most of the morning. The driver was treated for minor injuries and police said no other "
    "vehicle had been involved in the accident.",
    "Bee keepers on the Marsh estate have reported their best honey harvest in a decade, which they put down "
    "to a wet spring followed by weeks of warm weather. The association will sell jars at the harvest fair "
    "to raise money for new hives.",
    "The swimming club at Holloway Lido has won a grant to replace its ageing pool heaters with heat pumps. "
    "Members say the change will let the outdoor pool open a month earlier each year and cut the club's "
    "energy bills by almost half.",
    "Residents of Fenwick Street have collected more than three hundred signatures asking for a zebra "
    "crossing outside the primary school, after two near misses this term. The highways department said it "
    "would survey traffic on the road in the autumn.",
]

FOOTER = (
    "Thank you for reading the Brookvale Echo. We are an independent newsroom owned by no one but our "
    "readers, and every story we publish is paid for by people like you. Become a member today for the price "
    "of a sandwich a month and get our weekly newsletter, early access to our investigations and invitations "
    "to reader events. Follow us online and share this story with a friend who cares about local news. "
    "Copyright Brookvale Echo Community Media, all rights reserved."
)


def dividend(company: str, amount: str, pay: str, record: str) -> str:
    """A wire dividend notice built from one template."""
    return (
        f"{company} said its board declared a regular quarterly dividend of {amount} cts a share, payable "
        f"{pay} to shareholders of record on {record}. The company said the payout was unchanged from the "
        f"previous quarter and reflected the board's confidence in the outlook for the rest of the fiscal year. "
        f"It said it had paid a dividend every quarter since it became a listed company."
    )


def bare_notice(amount: str, pay: str, record: str) -> str:
    """A wire dividend notice whose body names no company: only its title does."""
    return f"Qtly div {amount} cts vs {amount} cts prior\n    Pay {pay}\n    Record {record}\n Reuter\n"


def weekly_claims(week: str, claims: str, prior: str, insured: str, prior_insured: str) -> str:
    """A weekly statistics report built from one template."""
    return (
        f"New applications for unemployment benefits fell to a seasonally adjusted {claims} in the week ended "
        f"{week} from {prior} in the prior week, the labour ministry said. The number of people receiving "
        f"benefits under the regular programmes totalled {insured} in the latest period for which figures are "
        f"available, compared with {prior_insured} a week earlier. The ministry said the figures were subject "
        f"to revision as the regional offices completed their returns for the period."
    )


# A German story of our own. German writes every noun with a capital, so a sub-editor's change of a few
# nouns, or a compound broken across a line with a hyphen, must not read as changed names.
DE_STORY = """Der Gemeinderat von Lindenau hat am Mittwochabend beschlossen, das alte Hallenbad am Schlossgraben
zu schließen und an seiner Stelle ein neues Familienbad zu bauen. Nach einer langen Debatte stimmten
21 Ratsmitglieder für den Neubau, 9 dagegen, zwei enthielten sich.

Das Bad aus dem Jahr 1968 gilt seit Langem als Sanierungsfall. Im vergangenen Winter musste es zweimal
für mehrere Wochen geschlossen werden, weil die Heizung ausgefallen war und Wasser durch das Dach in die
Umkleiden lief. Ein Gutachten hatte die Kosten einer Sanierung auf fast neun Millionen Euro geschätzt.

Der Neubau soll nach den Plänen der Verwaltung rund vierzehn Millionen Euro kosten. Das Land hat einen
Zuschuss von vier Millionen Euro in Aussicht gestellt, den Rest will die Gemeinde über einen Kredit und
über Rücklagen finanzieren. Die Bauarbeiten sollen im Frühjahr beginnen und zwei Jahre dauern.

Die Vereine der Stadt begrüßten die Entscheidung. Der Vorsitzende des Schwimmvereins sagte, die Kinder
der Gemeinde müssten endlich wieder zuverlässig schwimmen lernen können. Auch die Schulen hatten sich
für einen schnellen Neubau ausgesprochen, weil der Unterricht im Winter immer wieder ausfallen musste.

Kritik kam von der Opposition im Rat. Sie hält die Kosten für zu hoch und warnt vor steigenden Zinsen.
Ein Sprecher forderte, zunächst die Sanierung der Schulgebäude und der Straßen anzugehen. Der
Bürgermeister wies das zurück: Ein modernes Bad sei für eine Gemeinde dieser Größe keine Luxusfrage.

Während der Bauzeit sollen die Schwimmkurse in das Hallenbad der Nachbarstadt ausweichen. Die Gemeinde
will dafür einen Busverkehr einrichten, der die Kinder nach dem Unterricht abholt und zurückbringt."""


# A small instrument maker's press releases. Each ends with the same block (about the company, forward-looking
# statements, contacts), as a company's releases do. The block's sampled shingles happen to be a little denser
# than 1 in 8 (24 of its 177), so a count of its samples times 8 over-states its size.
RELEASE_BLOCK = (
    "About Tarnwick Instruments\n"
    "Tarnwick Instruments designs and builds precision flow meters, pressure sensors and leak detection "
    "systems for water utilities, breweries and chemical plants. Founded in 1990 in a converted mill on the "
    "river Tarn, the company now employs six hundred people at its plants in Lowmoor and Brackenfield and "
    "sells through distributors in thirty countries. Its shares are traded on the regional growth market "
    "under the symbol TWI.\n\n"
    "Forward-looking statements\n"
    "This release contains statements about the future that are based on the present expectations of "
    "management. Words such as expects, plans, intends, believes and estimates identify them. Actual results "
    "may differ materially because of changes in demand, in the prices of parts and raw materials, in "
    "exchange rates and in the rules that govern our customers, and for other reasons that are described in "
    "our annual report. We undertake no duty to update these statements after the date of this release.\n\n"
    "Contact\n"
    "Investor relations: Maren Oduya, telephone 0161 555 0126, investors at tarnwick dot example\n"
    "Press office: Callum Reyes-Abbot, telephone 0161 555 0187, press at tarnwick dot example"
)

RELEASES = [
    "Tarnwick Instruments has opened a training centre at its Lowmoor plant where engineers from water "
    "utilities can learn to install and calibrate ultrasonic flow meters. The centre holds twelve test rigs, "
    "each fed by a loop of pipe that can be set to the pressures found in a town's mains, and will run two day "
    "courses every week from the spring. The first courses are free for customers who bought meters in the "
    "last year. Trainers from the company's service team will teach them, and those who pass a short test "
    "at the end will be allowed to commission meters without a visit from Tarnwick.",
    "Tarnwick Instruments has appointed Ingrid Falsworth as head of its brewery business. She joins from a "
    "maker of bottling lines, where she ran sales in northern Europe for eight years, and will be based at "
    "the Brackenfield plant. Her first task will be to launch a sensor that measures dissolved oxygen in beer "
    "as it leaves the fermenting tank, which the company has tested with four small brewers over the winter. "
    "She replaces Tomas Greenhalgh, who retires at the end of the month after twenty two years with the "
    "company, the last six of them running the brewery business.",
    "Tarnwick Instruments has won an order from the Severn Vale water board for nine hundred leak detectors "
    "to be fitted along the trunk mains that feed the valley's towns. Deliveries start in June and will "
    "finish before the end of the year. The detectors listen for the hiss of escaping water and report "
    "over the mobile network, so that crews can be sent before a small leak becomes a burst. The water board "
    "loses almost a fifth of the water it treats through leaks and has promised its regulator to halve that "
    "within ten years. The order is worth about four million pounds over three years.",
    "Tarnwick Instruments will close its Lowmoor plant for two weeks in August so that a new paint shop "
    "can be installed. Orders due in that period will be built in advance at Brackenfield, and no customer "
    "delivery is expected to slip. The new paint shop uses powder instead of solvent paint, which the "
    "company says will cut the plant's emissions of volatile compounds by nine tenths and its gas bill by "
    "a third. Staff at Lowmoor will take their summer holiday during the closure or help with the move, "
    "and the plant's neighbours have been told to expect lorries on the lane for the first few days.",
]

RESULTS_PARAGRAPHS = [
    "Tarnwick Instruments reports a record first half as water utilities replace ageing meters",
    "LOWMOOR -- Tarnwick Instruments today reported revenue of 61.4 million pounds for the six months to the "
    "end of June, up eighteen per cent on the same period last year, as water utilities across the country "
    "brought forward the replacement of mechanical meters with ultrasonic ones.",
    "Operating profit rose to 7.9 million pounds from 5.2 million, and the margin widened to 12.9 per cent. "
    "The order book stood at 88 million pounds at the end of the period, the highest in the company's "
    "history, with three new framework agreements signed with utilities in the north west.",
    "The chief executive, Dorothea Kell, said the half had shown that the investment in the Brackenfield "
    "plant was paying off. We can now build a meter in half the time it took two years ago, and our "
    "customers have noticed, she said.",
    "Brewery sales were flat, as smaller breweries held back on new equipment while their energy bills "
    "stayed high. The company expects orders from that market to recover next year, when several larger "
    "brewers plan to replace their filling lines.",
    "The board declared an interim dividend of 3.1 pence a share, up from 2.6 pence a year ago, to be paid "
    "on the twentieth of October.",
]
RESULTS = "\n\n".join([*RESULTS_PARAGRAPHS, RELEASE_BLOCK])
RESULTS_EXCERPT = "\n\n".join(RESULTS_PARAGRAPHS[:-1])  # all but its last, short paragraph and the block


def export_sales(week: str, figures: tuple[str, str, str, str, str, str], opening: str = "") -> str:
    """A weekly export-sales report built from one template; `opening` puts words before its first sentence."""
    wheat, corn, prior, beans, season_wheat, season_corn = figures
    return (
        f"WASHINGTON, {week} - {opening}Exporters sold {wheat} tonnes of wheat to Egypt for delivery in the week "
        f"ended {week}, the Agriculture Department said. Sales of corn totalled {corn} tonnes, against {prior} "
        f"tonnes in the prior week, and shipments of soybeans were {beans} tonnes in the week. Cumulative sales "
        f"for the season stand at {season_wheat} mln tonnes of wheat and {season_corn} mln tonnes of corn, the "
        "department said in its weekly report to Congress."
    )


# Two outlets' own reports of one court decision, each quoting the same passage of the judgment (99 words),
# and a story that is mostly what people said. The judgment runs over two paragraphs in the first report, as
# news style quotes it: an opening mark on each paragraph, a closing one only at the end.
JUDGMENT_PARAGRAPHS = [
    "The council was required to weigh the effects of the turbines on the landscape against the benefits of "
    "renewable electricity, and it did so with care. It commissioned independent assessments of noise and "
    "of visual effects, it heard every submitter who asked to be heard, and it imposed conditions that go "
    "further than the national standard.",
    "It is not for this court to decide whether a wind farm on Tarrant Ridge is desirable. Our task is to "
    "decide whether the council made an error in granting consent. We are satisfied that it did not, and "
    "the appeal is dismissed.",
]
WIND_FARM_REPORT = "\n\n".join(
    [
        "The Environment Court has upheld consent for a 24-turbine wind farm on Tarrant Ridge, rejecting an appeal "
        "by neighbours who said the project would ruin views from the Port Selwyn coastline.",
        "The Tarrant Ridge Landscape Society had asked the court to overturn the district council's decision, "
        "arguing that the turbines, each 150 metres tall, would dominate the skyline and that the council had "
        "underestimated noise at nearby farmhouses.",
        "Judge Miriam Okafor, sitting with two commissioners, dismissed the appeal in a decision released on "
        "Monday. She wrote:",
        f'"{JUDGMENT_PARAGRAPHS[0]}',
        f'"{JUDGMENT_PARAGRAPHS[1]}"',
        "Southerly Power, which will build and run the wind farm, said it would begin work on access roads in the "
        'spring. Its project director, Ana Whitfield, said: "We have listened to the community at every step, and '
        'these turbines will be quieter than any we have built before."',
        "The society's chair, Desmond Kaye, said members were considering an appeal to the High Court on points "
        "of law.",
    ]
)
# Another outlet's own report (78 words of its own), the same passage quoted in one paragraph, in curly marks.
WIND_FARM_OTHER_OUTLET = "\n\n".join(
    [
        "Neighbours fighting a wind farm above Port Selwyn have lost their case, after the Environment Court found "
        "nothing wrong with the way the district council weighed the project's effects.",
        "In her written decision, Judge Miriam Okafor said:",
        "\u201c" + " ".join(JUDGMENT_PARAGRAPHS) + "\u201d",
        "Landscape society members, who spent two years and more than $80,000 on the appeal, met on Monday night "
        "to decide their next step. Southerly Power expects the first turbines to turn in late 2027.",
    ]
)

# Two outlets' own reports of one sentencing, each quoting the same three statements whole, each statement after
# the same attribution line, as both took them from the police and prosecution press releases: the shared text
# outside the quotations is those lines alone.
SENTENCING_STATEMENTS = [
    "Detective Sergeant Anya Whitlow of the county fraud squad said: \u201cFor six years Mr Pellard treated the "
    "harbour trust's accounts as a private purse. He hid what he was doing behind invoices for dredging, buoys and "
    "pier repairs that were never carried out, and he relied on the trust's volunteers being too busy and too "
    "trusting to ask questions. Today's sentence shows that nobody is too well known in a small town to be "
    "caught.\u201d",
    "A spokesman for the Crown Prosecution Service said: \u201cThis was a deliberate and sustained fraud against a "
    "charity that exists to keep a working harbour open for the fishermen and families who depend on it. We will "
    "now pursue every penny through confiscation proceedings, so that the money can be returned to the trust.\u201d",
    "The trust's chairwoman said: \u201cOur members gave their time freely for decades, and they feel betrayed. "
    "We have changed the way we handle money so that this can never happen again, and we are grateful to the "
    "treasurer who first raised the alarm.\u201d",
]
SENTENCING_AGENCY = "\n\n".join(
    [
        "The former treasurer of the Port Carrow harbour trust, Dennis Pellard, was jailed for five years and four "
        "months on Thursday for stealing almost 900,000 pounds from the charity over six years.",
        "Pellard, 61, admitted fraud by abuse of position at an earlier hearing. Truro Crown Court heard that he "
        "approved payments to two firms registered at his sister's address for maintenance work on the harbour "
        "walls and moorings that was never done, and spent the money on a motor yacht, a flat in Falmouth and "
        "school fees for his grandchildren.",
        *SENTENCING_STATEMENTS,
        "The judge, Recorder Simon Ashby, said the offences were aggravated by the length of time over which they "
        "were committed and the trust placed in Pellard by a small community. A confiscation hearing will be held "
        "in the spring.",
    ]
)
SENTENCING_LOCAL = "\n\n".join(
    [
        "Fishermen at Port Carrow say the money stolen by the harbour's former treasurer would have paid for the "
        "new slipway they have been asking for since the storms of three winters ago, when two boats were wrecked "
        "against the old one.",
        "Mike Tregarthen, who has fished out of the harbour for forty years, sat in the public gallery on Thursday "
        "with his son as Dennis Pellard was led down. Outside, he said the boats still had to be winched out by "
        "hand whenever a gale was forecast, and that younger crews were leaving for Newlyn.",
        *SENTENCING_STATEMENTS,
        "At the Anchor inn on the quay, where the trust's volunteers have met every month for half a century, "
        "regulars said the news had been met with anger rather than surprise. Several said Pellard's new yacht, "
        "moored in full view of the harbour office, had set tongues wagging long before the police were called.",
    ]
)

# A speech printed whole under one sentence of introduction (about 90 % of its words quoted), and two outlets' page
# furniture (a menu, an appeal, links), which no test teaches as boilerplate.
SPEECH_INTRO = (
    "This is the full text of the speech the transport minister, Ilse Moravec, gave to the regional bus operators' "
    "conference in Haldenby on Thursday."
)
SPEECH_PARAGRAPHS = [
    "\u201cThank you for having me. I started my working life in a bus depot in this city, sweeping out the cabs at "
    "the end of the night shift, so it is a real pleasure to be back among people who keep the buses running.",
    "\u201cLet me begin with a number. Since the pandemic, one rural route in four has been cut or reduced to a "
    "couple of journeys a day. For a teenager without a car, or a pensioner who no longer drives, that is not a "
    "timetable change. It is the end of a job, a college course or a weekly visit to the doctor.",
    "\u201cSo from April we will guarantee an hourly service between every market town and its nearest hospital, "
    "from seven in the morning until ten at night, six days a week. Operators will bid for five-year contracts "
    "rather than one-year grants, so that you can buy vehicles and train drivers with some confidence.",
    "\u201cI know the hardest part of this is not buses but people. You have told me that drivers leave because the "
    "shifts are split, the pay is poor and the toilets at the end of the line are locked. We will fund the pay "
    "rise your drivers have asked for, and we will not renew a contract that does not provide proper facilities.",
    "\u201cI will publish the punctuality and cancellation figures for every route every month, including the ones "
    "that make uncomfortable reading for me. If the buses do not turn up, the people who depend on them deserve "
    "to know whose fault it is, and I expect to be held to account for my share of it. Thank you.\u201d",
]
SPEECH = "\n\n".join([SPEECH_INTRO, *SPEECH_PARAGRAPHS])
HALDENBY_POST_PAGE = (
    "Home News Sport Business Opinion Lifestyle Travel Weather Jobs Property Motors Puzzles Newsletters Sign in",
    "Your support keeps the Haldenby Post free to read. We have covered this city for a hundred and forty years, "
    "through wars, floods, strikes and recessions, and we have never been more needed than now. Our reporters "
    "sit through the council meetings, the inquests and the planning hearings that nobody else covers any more. "
    "If everyone who read us gave a little each month, we could hire another reporter for the courts. Please "
    "consider a contribution today, however small. It takes a minute and it keeps local news alive. Supporters "
    "get our weekend magazine free, an invitation to the newsroom's open evening every spring and a say in the "
    "campaigns we run, from saving the swimming baths to reopening the library on Sundays.",
    "Most read: Roadworks on the ring road to last until the autumn. Primary school wins national reading prize. "
    "Plans unveiled for a new market hall on the old bus station site. Police name man who died in a crash on the "
    "coast road. Share this article by email, on Facebook or on WhatsApp. Sign up to the morning briefing and get "
    "the day's top stories in your inbox before breakfast. Read our guide to the best walks in the hills this "
    "autumn. Letters: readers have their say on the new parking charges in the city centre.",
)
MOOR_COURIER_PAGE = (
    "Menu Local Politics Farming Crime Schools Health Arts Letters Obituaries Family Notices E-edition Contact",
    "Independent journalism costs money. The Moor Courier is owned by nobody but its readers, and every penny we "
    "raise goes into reporting on the towns and villages of the moor. We do not put our stories behind a paywall, "
    "because we believe news about your community should be free for everyone who lives in it. If you value what "
    "we do, please become a supporter. Monthly gifts help us plan ahead, and one-off gifts help us cover the big "
    "stories when they break. Thank you for reading, and for standing up for local news. Our supporters have "
    "paid for a reporter at the magistrates' court, a photographer at the agricultural show and a year of "
    "coverage of the hospital campaign, and every one of those stories was free for all to read.",
    "More from the Courier: Village shop saved by a community buyout. Farmers warn of a poor lambing season after "
    "the wettest spring on record. Letters: readers have their say on the wind farm. Sign up to our weekly "
    "newsletter for the best of the Courier in your inbox every Friday. Most read this week: the pub that "
    "reopened after twenty years, a walker rescued from the tor in thick fog, and the parish council's row over "
    "the new cattle grid on the common.",
)


def on_page(page: tuple[str, str, str], story: str) -> str:
    """A story as a scraper takes it from an outlet's page: its menu and appeal above, its links below."""
    menu, appeal, links = page
    return "\n\n".join([menu, appeal, story, links])


# A story that is mostly quotations (about 60 % of its words), each with its speaker.
HOSPITAL_PARAGRAPHS = [
    "Staff at Kellan Valley Hospital say the closure of its maternity unit overnight will put mothers at risk, "
    "as the health board confirmed on Tuesday that births will move to Arnford from next month.",
    '"We are being asked to send women in labour on a fifty-minute drive over a mountain road in winter," '
    'said Rosa Lindqvist, a midwife at the hospital for nineteen years. "Nobody who has driven that road in '
    'January would call that safe."',
    '"The board has not shown us a single figure that supports this," said Tomasz Bell, who chairs the '
    "hospital's staff association. He said the association had asked for the board's risk assessment three "
    "times and had not received it.",
    "The board's chief executive, Helen Moray, said the unit could not be staffed safely at night. \"We have "
    "tried for two years to recruit midwives to Kellan Valley, and we have filled four of eleven posts. I "
    'will not run a service that depends on goodwill and overtime," she said.',
    '"We understand how strongly people feel, and we will keep daytime antenatal clinics at the hospital," '
    "Ms Moray said.",
    "A public meeting is planned for Thursday evening at the Kellan Valley town hall.",
]
HOSPITAL_STORY = "\n\n".join(HOSPITAL_PARAGRAPHS)


def forecast(town: str, high: int, low: int, wind: str, rain: int) -> str:
    """One town's weather forecast from a local paper's template: each day's and town's fill its figures."""
    return (
        f"{town} can expect a bright start today, with cloud thickening from the west by early afternoon and a "
        "band of showers likely to arrive around teatime.\n\n"
        f"Temperatures should peak at {high}C around two o'clock before dropping to {low}C overnight. Winds will "
        f"be {wind}, with a {rain} percent chance of rain after dark.\n\n"
        "Motorists are advised to take care on exposed routes over the hills, where gusts may be stronger and "
        "spray from heavy vehicles can reduce visibility.\n\n"
        "The weekend looks drier and calmer, although early mornings could be chilly with a touch of frost in "
        "sheltered valleys. Readers can send weather photographs to the newsdesk, and the best will appear in "
        "our gallery on Monday."
    )

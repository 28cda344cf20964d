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

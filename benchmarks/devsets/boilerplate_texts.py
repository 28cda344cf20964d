"""Publisher boilerplate written for this project (fictional outlets), used by the dev-set generator.

Each outlet attaches some of its own passages to every story it publishes: a donation
appeal, a newsletter or app plug, a cookie notice, a "listen to this article" line, a
share/related-topics footer and a copyright line.
"""

from __future__ import annotations

OUTLETS: dict[str, dict[str, str]] = {
    "courier": {
        "appeal": (
            "Your support keeps independent reporting alive. Read more. Support us now. From flooded high streets "
            "to council budgets, the Riverside Courier is there when the story is still unfolding. Whether we are "
            "digging into planning decisions or filming our new documentary series about coastal towns, we know how "
            "much it matters to separate the facts from the spin. Your donation lets us keep sending reporters to "
            "hear every side. We do not lock readers out with a paywall, because we believe good journalism should "
            "be open to all, paid for by those who can afford it. Every contribution makes a difference."
        ),
        "newsletter": (
            "Sign up to our free Morning Briefing newsletter and get the stories that matter delivered to your inbox "
            "before breakfast every weekday. You can unsubscribe at any time with one click."
        ),
        "footer": "Share this story on social media. Related topics: Local news, Politics, Environment, Business.",
        "copyright": "Copyright Riverside Courier Media Limited. All rights reserved.",
    },
    "herald": {
        "appeal": (
            "Independent journalism needs you. The Northern Herald has reported on this region for more than a "
            "century, and we intend to keep doing so for the next one. Unlike many news organisations, we have no "
            "billionaire owner and no shareholders: every penny we earn goes back into reporting. If you value what "
            "we do, please consider a regular contribution, however small. It takes less than a minute to set up "
            "and it helps protect our independence for years to come. Thank you for reading."
        ),
        "cookies": (
            "We use cookies and similar technologies to improve your experience on our website, to personalise "
            "content and advertising, and to analyse our traffic. By clicking accept you agree to the storing of "
            "cookies on your device. You can change your preferences at any time in the privacy settings."
        ),
        "listen": "Listen to this article. Audio version generated automatically. Approximately six minutes.",
        "copyright": "Copyright Northern Herald Publishing Group. Reproduction without permission is prohibited.",
    },
    "dispatch": {
        "app": (
            "Get the Daily Dispatch app for breaking news alerts, live blogs and the full print edition on your "
            "phone. Download it free today from your app store and never miss a story that matters to you."
        ),
        "newsletter": (
            "Want more stories like this? Join over two hundred thousand readers who get our weekend long read "
            "newsletter, hand picked by our editors, every Saturday morning. It is free and you can leave at any time."
        ),
        "footer": (
            "Have a story to tell? Contact our newsroom in confidence. Follow us on all the usual platforms for the "
            "latest updates. More from this section: World, Economy, Science, Sport, Culture."
        ),
    },
    "gazette": {
        "appeal": (
            "Before you go, a quick request. The Valley Gazette is funded by readers like you. Advertising income "
            "has fallen by half in five years, and without your help we cannot keep covering courts, councils and "
            "schools the way this community deserves. If every reader who enjoyed this article gave the price of a "
            "cup of coffee each month, our future would be secure. Please give what you can today. Thank you."
        ),
        "cookies": (
            "This site uses cookies. Some are essential to make the site work; others help us understand how you use "
            "it so that we can improve it. Manage your cookie choices or accept all cookies to continue reading."
        ),
        "copyright": "All content copyright Valley Gazette Limited. Registered in England and Wales.",
    },
    "observer": {
        "listen": "Listen to this story. Press play to hear this article read aloud. Your browser must support audio.",
        "app": (
            "Read the Coastal Observer on the go. Our award winning app brings you personalised news, puzzles and "
            "podcasts, with offline reading for your commute. Available now for phones and tablets."
        ),
        "footer": (
            "Was this article helpful? Tell us what you think. Comments are moderated and must follow our community "
            "guidelines. Most read this week. Topics in this article: Transport, Health, Education, Weather."
        ),
        "copyright": "The Coastal Observer, part of the Shoreline Newspaper Group. Copyright, all rights reserved.",
    },
}

# Passages an operator might list in --boilerplate-file (a subset: the rest must be learned).
OPERATOR_LIST = [OUTLETS["herald"]["cookies"], OUTLETS["gazette"]["cookies"]]

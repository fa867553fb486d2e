"""The words of the urgent banner (portal.triage.alerts.banner): why an item is urgent and how
long it has waited (`portal.core.i18n.time_ago` of `BannerLine.waited`), in the viewer's language."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.triage.alerts import BannerLine, UrgencyReason


def urgency_reason(line: BannerLine) -> str:
    """Why `line`'s item is urgent, in a few words: the tipster's answer to "Is a child in danger
    right now?", or the danger word found in an SMS, saying whether its sender answered no or has
    not answered the question yet. The one wording of the reason, for the banner drawn by the
    server and for the live alerts' JSON alike."""
    if line.reason is UrgencyReason.CHILD_IN_DANGER:
        return _("The tipster says a child is in danger now")
    if line.reason is UrgencyReason.DANGER_WORD:
        return _('Danger word "%(word)s" (the tipster did not say a child is in danger)', word=line.danger_word)
    if line.reason is UrgencyReason.DANGER_WORD_NOT_ANSWERED:
        return _('Danger word "%(word)s" (the tipster has not yet answered whether a child is in danger)',
                 word=line.danger_word)
    return _("Marked urgent")

"""The SMS hotline: a channel on top of the domains (tips, sampling), as the web pages are.

One SMS, from the provider's POST to the reply, goes through these modules in this order:

    views.inbound        POST /sms/inbound: the provider's signature checked (403 without it), its
                         form read into an InboundSms (portal.core.sms.provider)
    inbox.receive        the SMS read once into an IncomingSms (incoming.read_incoming), stored once,
                         with its media; an opt-out, an opt-in or a burst is settled here
    dispatch.handle      the number's conversation loaded (conversation.py), the flow chosen and the
                         reply language decided, once, into a Turn
    flows/<flow>.py      the flow starts or answers, calling the domains (portal.tips.service,
                         portal.sampling.booking) and writing its text with replies.py; or it hands
                         the message over to another flow (HandOver), which dispatch.handle starts
    dispatch.handle      the message joined to its staff item (items.py), the conversation saved
    inbox.receive        the reply recorded in the outbox table (withheld after an opt-out), commit
    views.inbound        the reply answered as TwiML, status 200 (whatever failed inside)

What a text says is read by pure functions with no database: keywords.py (keywords, numbers, yes
and no, references), language.py (the language a text is written in), danger.py (danger words).
The outbox worker runs two of the hotline's functions as periodic jobs (listed in portal/jobs.py):
media.py downloads MMS pictures into tips, conversation.py forgets the answers of idle conversations.
"""

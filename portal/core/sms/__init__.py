"""The SMS transport: receiving and sending SMS, whoever carries them. Knows no domain or channel.

provider.py (the interface and its value types: InboundSms, SendResult, DeliveryReport),
backends.py (the provider SMS_BACKEND names), twilio_provider.py and console_provider.py (the two
providers), segments.py (how many segments a text takes), optout.py (numbers that asked for no
more messages), delivery.py (the provider's delivery reports), simulate.py (an SMS sent to the
portal's own webhook, for development).
"""
